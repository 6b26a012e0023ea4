import { relativeSpread, summarize } from '../harness/summary.js';
import type { Cell, ParamValue } from '../report/bench-result.js';
import type { Datum } from '../report/charts.js';
import { formatPercent, formatRate, formatRatio, MISSING } from '../report/format.js';
import { markdownTable, type Column } from '../report/markdown.js';

/** "23.4 M ±3%": the median and half the min-max spread relative to it. */
export function throughputText(c: Cell | undefined): string {
  if (!c) return MISSING;
  if (c.summary === null) return c.error ? 'error' : MISSING;
  const s = c.summary;
  return s.n > 1 ? `${formatRate(s.median)} ±${formatPercent(relativeSpread(s) / 2)}` : formatRate(s.median);
}

/** Operations per second of CPU time the cell's threads received (what it would do with the cores to itself). */
export function cpuSecondText(c: Cell | undefined): string {
  const v = c?.notes.opsPerCpuSecond;
  return typeof v === 'number' ? formatRate(v) : MISSING;
}

/** "0.62 · 1.10 · 18": the cell's ratio to each reference kind, in the given order. */
export function ratiosText(c: Cell | undefined, kinds: readonly string[]): string {
  if (!c || c.role !== 'map') return MISSING;
  return kinds.map((k) => formatRatio(c.ratios[k])).join(' · ');
}

/**
 * A pivot of cells: one row per row key, one column per column key, each
 * table cell from `text` (rows and columns in first-seen order).
 */
export function pivot(cells: Cell[], rowHeader: string, row: (c: Cell) => string, col: (c: Cell) => string, text: (c: Cell | undefined) => string): string {
  const rows: string[] = [];
  const cols: string[] = [];
  for (const c of cells) {
    if (!rows.includes(row(c))) rows.push(row(c));
    if (!cols.includes(col(c))) cols.push(col(c));
  }
  const columns: Column[] = [{ header: rowHeader }, ...cols.map((h) => ({ header: h, align: 'right' as const }))];
  return markdownTable(
    columns,
    rows.map((r) => [r, ...cols.map((k) => text(cells.find((c) => row(c) === r && col(c) === k)))]),
  );
}

/** The map cells' ratios to the reference kinds (ratiosText), one row per `row` key, one column per `col` key. */
export function ratiosPivot(cells: Cell[], row: (c: Cell) => string, col: (c: Cell) => string, kinds: readonly string[]): string {
  return pivot(
    cells.filter((c) => c.role === 'map'),
    'map',
    row,
    col,
    (c) => ratiosText(c, kinds),
  );
}

/**
 * A resizing cell's totals over its repetitions: wall time (ns), resizes
 * (grows and shrinks), time resizing (ns) and the retry policy's waits.
 */
export function resizeTotals(c: Cell): { ns: number; resizes: number; resizeNs: number; retries: number } {
  const reps = c.repetitions;
  return {
    ns: reps.reduce((a, r) => a + (r.extra?.wallNs ?? r.elapsedNs), 0),
    resizes: reps.reduce((a, r) => a + (r.extra?.grows ?? 0) + (r.extra?.shrinks ?? 0), 0),
    resizeNs: reps.reduce((a, r) => a + (r.extra?.resizeNs ?? 0), 0),
    retries: reps.reduce((a, r) => a + (r.extra?.retries ?? 0), 0),
  };
}

/** Rows for a chart: the cell's params, its subject, and its median/min/max ops/s in millions. */
export function chartData(cells: Cell[], extra: (c: Cell) => Record<string, string | number> = () => ({})): Datum[] {
  const out: Datum[] = [];
  for (const c of cells) {
    if (c.summary === null) continue;
    const params: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(c.params)) params[k] = v as ParamValue;
    out.push({
      ...params,
      subject: c.subject,
      cpusLabel: `${c.params.cpus} CPU${c.params.cpus === 1 ? '' : 's'}`,
      mops: c.summary.median / 1e6,
      mopsMin: c.summary.min / 1e6,
      mopsMax: c.summary.max / 1e6,
      ...extra(c),
    });
  }
  return out;
}

/** The run's machine and parameters as a short paragraph. */
export function runHeader(r: {
  command: string;
  createdAt: string;
  machine: { cpuModel: string; cores: number; nodeVersion: string; loadAverage: number[] };
  parameters: Record<string, unknown>;
  cells: Cell[];
}): string {
  const p = r.parameters;
  const shares = r.cells.map((c) => ({ id: c.id, share: c.notes.cpuShare })).filter((x): x is { id: string; share: number } => typeof x.share === 'number');
  const lowest = shares.reduce<{ id: string; share: number } | null>((a, x) => (a === null || x.share < a.share ? x : a), null);
  const shareLine =
    shares.length > 0 && lowest !== null
      ? `The measuring threads ran ${formatPercent(summarize(shares.map((x) => x.share)).median)} of the wall time (median over the measurements; lowest ${formatPercent(lowest.share)}, ${lowest.id}): well below 100% means other processes held the cores meanwhile, and the figures and their spread show it.`
      : '';
  return [
    `Command: \`${r.command}\` (${r.createdAt}).`,
    `Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, Node ${r.machine.nodeVersion}, load average at start ${r.machine.loadAverage.join(' / ')}.`,
    `Each figure is the median of ${String(p.repetitions)} repetitions of ${String(p.durationMs)} ms (after ${String(p.warmupOps)} warm-up iterations per CPU, batches of ${String(p.batch)} iterations per event); ±x% is half the min-max spread. Throughput counts every CPU's lookups and updates.`,
    shareLine,
  ]
    .filter((l) => l.length > 0)
    .join('\n');
}

/** A Markdown image, or nothing when the chart was not written. */
export function image(alt: string, file: string | null): string {
  return file === null ? '' : `![${alt}](${file})`;
}
