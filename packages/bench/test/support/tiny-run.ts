import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult, Cell } from '../../src/report/bench-result.js';
import type { SuiteOptions } from '../../src/suites/options.js';
import type { Suite } from '../../src/suites/plan.js';
import { runSuite, type SuiteRun } from '../../src/suites/run-suite.js';

/** A suite's quick options shrunk to the least that still exercises every cell on 1 and 2 CPUs. */
export function tinyOptions(suite: Suite, overrides: Partial<SuiteOptions> = {}): SuiteOptions {
  return { ...suite.defaults(true, 2), entries: [1024], valueSizes: [4], cpus: [1, 2], repetitions: 1, durationMs: 20, warmupOps: 2000, batch: 64, ...overrides };
}

export interface TinyRun extends SuiteRun {
  /** The JSON file as written, parsed back. */
  written: BenchResult;
  dir: string;
  cleanup(): Promise<void>;
}

/** Runs a suite with tiny sizes into a temporary directory (charts included) and reads the result file back. */
export async function runTiny(suite: Suite, overrides: Partial<SuiteOptions> = {}): Promise<TinyRun> {
  const dir = await mkdtemp(join(tmpdir(), `bench-${suite.name}-`));
  const run = await runSuite(suite, tinyOptions(suite, overrides), { outDir: dir, charts: true, command: 'test' });
  const written = JSON.parse(await readFile(run.files!.json, 'utf8')) as BenchResult;
  return { ...run, written, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Update results summed over a cell's repetitions. */
export function updateResults(c: Cell): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of c.repetitions) for (const [k, n] of Object.entries(r.results)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** Every cell measured: no error, each repetition with one figure per CPU, each CPU having run. */
export function measuredProblems(cells: Cell[]): string[] {
  const problems: string[] = [];
  for (const c of cells) {
    if (c.error !== undefined) problems.push(`${c.id}: ${c.error}`);
    for (const r of c.repetitions) {
      if (r.cpus.length !== c.params.cpus) problems.push(`${c.id}: ${r.cpus.length} CPU figures for ${c.params.cpus} CPUs`);
      for (const cpu of r.cpus) if (cpu.ops <= 0) problems.push(`${c.id}: CPU ${cpu.cpu} did no operation`);
    }
  }
  return problems;
}
