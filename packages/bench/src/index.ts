// The bench package as a library: run a suite from a script, or build another
// report with the same pieces (schema checks, tables, charts, files).
export { runSuite, type SuiteRun, type SuiteRunOptions } from './suites/run-suite.js';
export { SUITES, SUITE_NAMES, DEFAULT_SUITE } from './suites/registry.js';
export type { Suite, SuiteName } from './suites/plan.js';
export type { SuiteOptions, Mixer } from './suites/options.js';
export { BENCH_SCHEMA, benchResultSchema, validateBenchResult, assertBenchResult, type BenchResult, type Cell, type Goal } from './report/bench-result.js';
export type { Repetition } from './harness/measure.js';
export { check, Int, IsoTimestamp, Nullable, Strict } from './report/validate.js';
export { markdownTable, section, type Column } from './report/markdown.js';
export { barChartSvg, lineChartSvg, renderVegaLite, type BarChartSpec, type LineChartSpec, type Datum } from './report/charts.js';
export { writeReport, fileTimestamp, type ReportParts, type WrittenReport } from './report/files.js';
export { machineInfo, type MachineInfo } from './report/machine.js';
export { formatRate, formatRatio, formatNs, formatBytes, formatPercent, formatCount } from './report/format.js';
export { summarize, type Summary } from './harness/summary.js';
export { createProgress, silentProgress, type Progress, type ProgressMode } from './harness/progress.js';
export { UnsyncTable } from './references/unsync-table.js';
