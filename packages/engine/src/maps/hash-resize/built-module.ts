import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The URL of a compiled module next to `base`, for `new Worker(url)`.
 * Worker threads load JavaScript: when the engine itself runs from its
 * TypeScript sources (vitest), the sibling `.js` exists only in dist/, so
 * the same relative path is tried there. Exported for the bench's workers,
 * which are started the same way.
 */
export function builtModuleUrl(relative: string, base: string): URL {
  const direct = new URL(relative, base);
  if (existsSync(fileURLToPath(direct))) return direct;
  const built = new URL(direct.href.replace('/src/', '/dist/'));
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`rightsize: ${fileURLToPath(direct)} is not built; run \`pnpm build\` first`);
}
