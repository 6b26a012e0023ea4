import { createProgress, type Progress } from '../harness/progress.js';
import { assertBenchResult, BENCH_SCHEMA, type BenchResult } from '../report/bench-result.js';
import { fileTimestamp, writeReport, type WrittenReport } from '../report/files.js';
import { machineInfo } from '../report/machine.js';
import { validateOptions, type SuiteOptions } from './options.js';
import type { Suite } from './plan.js';
import { finishCells } from './finish.js';
import { runGroups } from './runner.js';

export interface SuiteRunOptions {
  progress?: Progress;
  /** Directory for the result files; null writes nothing. */
  outDir: string | null;
  /** Draw the SVG charts (they take a second or two). */
  charts: boolean;
  /** The command line recorded in the result. */
  command: string;
}

export interface SuiteRun {
  result: BenchResult;
  markdown: string;
  files: WrittenReport | null;
}

/**
 * Runs one suite end to end: plan, measure, summarise, ratios, goals; then
 * checks the result against the schema (a writer bug fails here, not in a
 * reader later) and writes JSON, Markdown and SVG.
 */
export async function runSuite(suite: Suite, options: SuiteOptions, run: SuiteRunOptions): Promise<SuiteRun> {
  const o = validateOptions(options);
  const progress = run.progress ?? createProgress('silent');
  const machine = machineInfo();
  const createdAt = new Date();
  const t0 = performance.now();
  const groups = suite.plan(o);
  const total = groups.reduce((a, g) => a + g.cells.length, 0) * o.repetitions;
  progress.start(total, suite.name);
  let cells;
  try {
    cells = await runGroups(groups, o, progress);
  } finally {
    progress.stop();
  }
  finishCells(cells, suite.matchOn, suite.notes?.bind(suite));
  const result: BenchResult = {
    schema: BENCH_SCHEMA,
    suite: suite.name,
    title: suite.title,
    createdAt: createdAt.toISOString(),
    command: run.command,
    machine,
    parameters: { ...o },
    cells,
    goals: suite.goals(cells, o),
    wallMs: performance.now() - t0,
  };
  assertBenchResult(JSON.parse(JSON.stringify(result)));
  const markdown = suite.markdown(result, () => null);
  let files: WrittenReport | null = null;
  if (run.outDir !== null) {
    const svgs = run.charts ? await suite.charts(result) : {};
    files = await writeReport(run.outDir, `${suite.name}-${fileTimestamp(createdAt)}`, suite.name, {
      json: result,
      markdown: (chartFile) => suite.markdown(result, (name) => (name in svgs ? chartFile(name) : null)),
      svgs,
    });
  }
  return { result, markdown, files };
}
