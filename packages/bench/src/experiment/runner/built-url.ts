import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The URL of a compiled module next to `base` (worker threads load
 * JavaScript). When this package runs from its TypeScript sources (vitest),
 * the sibling `.js` exists only under dist/, so the same path is tried there.
 */
export function builtUrl(relative: string, base: string): URL {
  const direct = new URL(relative, base);
  if (existsSync(fileURLToPath(direct))) return direct;
  const built = new URL(direct.href.replace('/src/', '/dist/'));
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`${fileURLToPath(built)} is not built: run \`pnpm build\` first`);
}
