import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A file-name-safe UTC timestamp: 2026-11-22T07-05-09Z. */
export function fileTimestamp(d: Date = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

/** What a report writes: JSON, Markdown (told the chart file names, to link them) and SVG charts by name. */
export interface ReportParts {
  json: unknown;
  markdown: (chartFile: (name: string) => string) => string;
  svgs: Record<string, string>;
}

export interface WrittenReport {
  json: string;
  markdown: string;
  svgs: string[];
  /** The same files under latest/, with stable names (what a README links to). */
  latest: string[];
}

/**
 * Writes `<dir>/<base>.json`, `<dir>/<base>.md`, `<dir>/<base>-<chart>.svg`,
 * and, unless `stable` is null, copies under `<dir>/latest/<stable>.*` that
 * the next run replaces.
 */
export async function writeReport(dir: string, base: string, stable: string | null, parts: ReportParts): Promise<WrittenReport> {
  const latestDir = join(dir, 'latest');
  await mkdir(stable === null ? dir : latestDir, { recursive: true });
  const json = `${JSON.stringify(parts.json, null, 1)}\n`;
  const written: WrittenReport = { json: join(dir, `${base}.json`), markdown: join(dir, `${base}.md`), svgs: [], latest: [] };
  const put = async (path: string, text: string, latest: boolean): Promise<void> => {
    if (latest && stable === null) return;
    await writeFile(path, text);
    if (latest) written.latest.push(path);
  };
  await put(written.json, json, false);
  await put(join(latestDir, `${stable}.json`), json, true);
  await put(written.markdown, `${parts.markdown((name) => `${base}-${name}.svg`)}\n`, false);
  await put(join(latestDir, `${stable}.md`), `${parts.markdown((name) => `${stable}-${name}.svg`)}\n`, true);
  for (const [name, svg] of Object.entries(parts.svgs)) {
    const p = join(dir, `${base}-${name}.svg`);
    await put(p, svg, false);
    written.svgs.push(p);
    await put(join(latestDir, `${stable}-${name}.svg`), svg, true);
  }
  return written;
}
