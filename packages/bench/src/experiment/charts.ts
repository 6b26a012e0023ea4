import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLite, type Datum } from '../report/charts.js';
import type { ExperimentReport } from './report/result.js';

/** Points kept per strategy and series in a chart (the JSON keeps every sample). */
const MAX_POINTS = 400;

/** The workload's own line in the time charts. */
export const WORKLOAD_LINE = 'workload: entries to hold';

/** Colours of the strategies, in report order, then black for the workload line. */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#bab0ac'];

interface PhaseBand {
  name: string;
  start: number;
  end: number;
  burst: boolean;
}

export interface TimeChartSpec {
  title: string;
  yTitle: string;
  /** Rows { tick, value, series }. */
  data: Datum[];
  /** Series in legend order; the workload line (if present) is drawn dashed in black. */
  series: string[];
  phases: PhaseBand[];
  /** The tick axis runs from 0 to this. */
  ticks: number;
  width?: number;
  height?: number;
}

/** Every k-th point and the last, so that a series has at most MAX_POINTS points. */
function thin<T>(points: T[]): T[] {
  if (points.length <= MAX_POINTS) return points;
  const k = Math.ceil(points.length / MAX_POINTS);
  const out = points.filter((_, i) => i % k === 0);
  if (out.at(-1) !== points.at(-1)) out.push(points.at(-1)!);
  return out;
}

/**
 * Lines over the workload's tick axis, one per series, over shaded phase
 * bands (the burst darker) labelled with the phase names: the chart type the
 * experiment needs that the shared report module does not have.
 */
export async function timeChartSvg(c: TimeChartSpec): Promise<string> {
  if (c.data.length === 0) throw new RangeError(`chart "${c.title}": no data`);
  const range = c.series.map((s, i) => (s === WORKLOAD_LINE ? '#000000' : PALETTE[i % PALETTE.length]!));
  const x = { field: 'tick', type: 'quantitative' as const, title: 'workload time (ticks)', scale: { domain: [0, c.ticks], nice: false } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: c.title,
    background: 'white',
    width: c.width ?? 640,
    height: c.height ?? 300,
    layer: [
      {
        data: { values: c.phases },
        mark: { type: 'rect', opacity: 0.35 },
        encoding: {
          x: { field: 'start', type: 'quantitative', scale: { domain: [0, c.ticks], nice: false } },
          x2: { field: 'end' },
          color: { field: 'burst', type: 'nominal', scale: { domain: [false, true], range: ['#f2f2f2', '#d9d9d9'] }, legend: null },
        },
      },
      {
        data: { values: c.phases.map((p) => ({ ...p, mid: (p.start + p.end) / 2 })) },
        mark: { type: 'text', baseline: 'top', dy: 4, fontSize: 11, color: '#555555' },
        encoding: { x: { field: 'mid', type: 'quantitative' }, y: { value: 0 }, text: { field: 'name' } },
      },
      {
        data: { values: c.data },
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: c.yTitle },
          color: { field: 'series', type: 'nominal', title: null, scale: { domain: c.series, range }, legend: { labelLimit: 320 } },
          strokeDash: {
            field: 'dashed',
            type: 'nominal',
            scale: {
              domain: [false, true],
              range: [
                [1, 0],
                [5, 3],
              ],
            },
            legend: null,
          },
          detail: { field: 'series' },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
  return renderVegaLite(spec as unknown as TopLevelSpec);
}

export interface OutcomeChartSpec {
  title: string;
  /** The y axis title (default 'flows'). */
  yTitle?: string;
  /** Rows { strategy, outcome, flows }. */
  data: Datum[];
  strategies: string[];
  outcomes: string[];
}

/**
 * Grouped bars of flow counts per strategy with the count printed over each
 * bar, so that a strategy with a handful of failures next to one with
 * hundreds of thousands still shows its figure (a zero shows as "0").
 */
export async function outcomeChartSvg(c: OutcomeChartSpec): Promise<string> {
  if (c.data.length === 0) throw new RangeError(`chart "${c.title}": no data`);
  const x = { field: 'strategy', type: 'nominal' as const, sort: c.strategies, title: null, axis: { labelAngle: -30, labelLimit: 240 } };
  const xOffset = { field: 'outcome', type: 'nominal' as const, sort: c.outcomes };
  const y = { field: 'flows', type: 'quantitative' as const, title: c.yTitle ?? 'flows' };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: c.title,
    background: 'white',
    width: 600,
    height: 280,
    data: { values: c.data },
    layer: [
      { mark: { type: 'bar' }, encoding: { x, xOffset, y, color: { field: 'outcome', type: 'nominal', sort: c.outcomes, title: null, scale: { range: ['#4c78a8', '#e45756'] } } } },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 9 },
        encoding: { x, xOffset, y, text: { field: 'flows', type: 'quantitative', format: ',d' } },
      },
    ],
  };
  return renderVegaLite(spec as unknown as TopLevelSpec);
}

function phaseBands(r: ExperimentReport): PhaseBand[] {
  return r.workload.phases.map((p) => ({ name: p.name, start: p.startTick, end: p.endTick, burst: p.name === r.scenario.burstPhase }));
}

/** The workload's must-hold line, one point per tick step. */
function workloadRows(r: ExperimentReport, scale: (entries: number) => number): Datum[] {
  const rows = r.workload.mustHold.map((v, tick) => ({ tick, value: scale(v), series: WORKLOAD_LINE, dashed: true }));
  return thin(rows);
}

/** The experiment's charts, by file-name suffix. */
export async function experimentCharts(r: ExperimentReport): Promise<Record<string, string>> {
  const phases = phaseBands(r);
  // Charts name strategies by id (short, as scenario files spell them); the tables give the long labels.
  const ids = r.strategies.map((s) => s.id);
  const mib = 1024 * 1024;

  const memory: Datum[] = r.strategies.flatMap((s) => thin(s.series.map).map((p) => ({ tick: p.tick, value: p.bytes / mib, series: s.id, dashed: false })));
  const entries: Datum[] = [
    ...r.strategies.flatMap((s) => thin(s.series.map).map((p) => ({ tick: p.tick, value: p.entries + p.overflowEntries, series: s.id, dashed: false }))),
    ...workloadRows(r, (v) => v),
  ];
  const drops: Datum[] = r.strategies.flatMap((s) => thin(s.series.counts).map((p) => ({ tick: p.tick, value: p.flowsRefused + p.flowsBroken, series: s.id, dashed: false })));

  const outcomes: Datum[] = r.strategies.flatMap((s) => [
    { strategy: s.id, outcome: 'new flows refused', flows: s.summary.flowsRefused },
    { strategy: s.id, outcome: 'flows broken', flows: s.summary.flowsBroken },
  ]);
  const ticks = r.workload.ticks;

  // Resize dynamics (hash_resize strategies only): the table size each
  // decision set (a step per decision), the runtime bound, the walks.
  const resizing = r.strategies.filter((s) => s.dynamics);
  const extra: Record<string, string> = {};
  if (resizing.length > 0) {
    const buckets: Datum[] = resizing.flatMap((s) => thin(s.series.map).map((p) => ({ tick: p.tick, value: p.buckets, series: s.id, dashed: false })));
    const decided: Datum[] = resizing.flatMap((s) => (s.dynamics!.decisions ?? []).filter((d) => d.reason !== 'max-entries').map((d) => ({ tick: d.tick, value: d.to, series: s.id, dashed: false })));
    extra.buckets = await timeChartSvg({
      title: `Table size and resize decisions (${r.scenario.name}; one point per decision logged)`,
      yTitle: 'buckets',
      data: [...buckets, ...decided],
      series: resizing.map((s) => s.id),
      phases,
      ticks,
    });
    const bounded = resizing.filter((s) => s.dynamics!.bound);
    if (bounded.length > 0) {
      const rows: Datum[] = bounded.flatMap((s) =>
        thin(s.series.map).flatMap((p) => [
          { tick: p.tick, value: p.maxEntries ?? 0, series: `${s.id}: bound`, dashed: true },
          { tick: p.tick, value: p.entries, series: `${s.id}: entries`, dashed: false },
        ]),
      );
      extra.bound = await timeChartSvg({
        title: `A bound raised at runtime by the agent (${r.scenario.name})`,
        yTitle: 'entries',
        data: rows,
        series: bounded.flatMap((s) => [`${s.id}: bound`, `${s.id}: entries`]),
        phases,
        ticks,
      });
    }
    const walked = resizing.filter((s) => s.summary.walks);
    if (walked.length > 0) {
      const rows: Datum[] = walked.flatMap((s) =>
        (['stable', 'best-effort'] as const).flatMap((m) => [
          { strategy: `${s.id} ${m}`, outcome: 'marker keys skipped', flows: s.summary.walks![m].skipped },
          { strategy: `${s.id} ${m}`, outcome: 'keys repeated', flows: s.summary.walks![m].repeated },
        ]),
      );
      extra.walks = await outcomeChartSvg({
        title: `Walks of the map during the run: stable vs best effort (${r.scenario.name})`,
        yTitle: 'keys, summed over the walks',
        data: rows,
        strategies: walked.flatMap((s) => [`${s.id} stable`, `${s.id} best-effort`]),
        outcomes: ['marker keys skipped', 'keys repeated'],
      });
    }
  }

  return {
    ...extra,
    memory: await timeChartSvg({ title: `Memory held over time (${r.scenario.name})`, yTitle: 'MiB held (stats().bytes)', data: memory, series: ids, phases, ticks }),
    entries: await timeChartSvg({ title: `Entries over time (${r.scenario.name})`, yTitle: 'entries', data: entries, series: [...ids, WORKLOAD_LINE], phases, ticks }),
    drops: await timeChartSvg({ title: `Flows refused or broken so far (${r.scenario.name})`, yTitle: 'flows refused or broken (cumulative)', data: drops, series: ids, phases, ticks }),
    outcomes: await outcomeChartSvg({
      title: `Flows refused and broken per strategy (${r.scenario.name})`,
      data: outcomes,
      strategies: ids,
      outcomes: ['new flows refused', 'flows broken'],
    }),
  };
}
