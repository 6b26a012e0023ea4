import type { EbusyPolicy, MapSpec } from '@rightsize/engine';
import { keySequence } from '../harness/keys.js';
import { ratio } from '../harness/ratio.js';
import type { BenchResult, Cell, Goal } from '../report/bench-result.js';
import { barChartSvg } from '../report/charts.js';
import { formatCount, formatNs, formatPercent, formatRatio, sig } from '../report/format.js';
import { markdownTable, section } from '../report/markdown.js';
import { mapCells, referenceGroup, type Variant } from './cells.js';
import { createFilled, steadyBuckets } from './fill.js';
import { findCell, goal, goalsTable, median, sharedmapGoal, worst } from './goals.js';
import { MAP_REFERENCES } from './maps.js';
import { cpuRange, loopOf, mixerLabel, type Mixer, type SuiteOptions } from './options.js';
import type { GroupPlan, Suite } from './plan.js';
import { chartData, image, ratiosPivot, resizeTotals, runHeader, throughputText } from './report-helpers.js';

const GOAL_ENTRIES = 65536;
const GOAL_VALUE = 4;
const OFF = 'hash_resize off';
const IDLE = 'hash_resize idle';
const resizing = (p: EbusyPolicy): string => `hash_resize resizing (${p})`;

interface ResizeSubject {
  subject: string;
  spec(entries: number, valueSize: number, nCpus: number): MapSpec;
  resizing?: boolean;
}

/** As in the maps suite: bounded at four times the entries, starting at the size that holds them below the grow watermark. */
function hashResize(autoResize: boolean, ebusyPolicy: EbusyPolicy) {
  return (e: number, v: number, n: number): MapSpec => ({
    type: 'hash_resize',
    keySize: 4,
    valueSize: v,
    maxEntries: 4 * e,
    nCpus: n,
    resize: { initialBuckets: steadyBuckets(4 * e, e), autoResize, ebusyPolicy },
  });
}

function subjects(o: SuiteOptions): ResizeSubject[] {
  return [
    { subject: 'hash', spec: (e, v, n) => ({ type: 'hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n }) },
    { subject: OFF, spec: hashResize(false, 'fail') },
    { subject: IDLE, spec: hashResize(true, 'fail') },
    ...o.policies.map((p) => ({ subject: resizing(p), spec: hashResize(true, p), resizing: true })),
  ];
}

function plan(o: SuiteOptions): GroupPlan[] {
  const groups: GroupPlan[] = [];
  const maxCpus = Math.max(...o.cpus);
  const wanted = (s: string): boolean => o.subjects === null || o.subjects.includes(s);
  for (const entries of o.entries) {
    const keys = keySequence(entries, 'shuffled', o.seed);
    for (const valueSize of o.valueSizes) {
      const at = `${formatCount(entries)} entries, ${valueSize} B values`;
      const variants: Variant[] = o.mixers.map((mixer) => ({ params: { entries, valueSize, mixer }, loop: { keys, batch: o.batch, valueSize, keyBase: 0, ...loopOf(mixer) } }));
      groups.push({ ...referenceGroup(`references, ${at}`, MAP_REFERENCES, variants, { maxEntries: entries, fill: entries, keySpace: entries }), sideBySide: at });
      for (const s of subjects(o)) {
        if (!wanted(s.subject)) continue;
        groups.push({
          sideBySide: at,
          label: `${s.subject}, ${at}`,
          open: () => {
            const map = createFilled(s.spec(entries, valueSize, maxCpus), entries);
            return { maps: { m: map }, close: () => map.destroy() };
          },
          cells: mapCells(s.subject, o.cpus, variants, s.resizing ? { resizing: true } : {}),
        });
      }
    }
  }
  return groups;
}

function goals(cells: Cell[], o: SuiteOptions): Goal[] {
  const at = { entries: GOAL_ENTRIES, valueSize: GOAL_VALUE, cpus: 1 };
  const mixers = [...new Set(cells.filter((c) => c.subject === IDLE).map((c) => c.params.mixer))];
  const fig = (a: string, b: string) =>
    mixers.map((m) => ({
      label: mixerLabel(m as Mixer),
      value: ratio(median(findCell(cells, a, { ...at, mixer: m })), median(findCell(cells, b, { ...at, mixer: m }))),
    }));
  const steady = fig(IDLE, 'hash');
  const during = fig(resizing(o.policies[0]!), IDLE);
  const ws = worst(steady);
  const wd = worst(during);
  const missing = 'not in this run (needs --entries 64Ki --values 4 and CPUs 1)';
  return [
    goal('resizeSteadyVsHash', ws?.value ?? null, ws ? `resize suite, idle vs hash: ${steady.map((f) => `${f.label} ${formatRatio(f.value)}`).join(', ')}` : missing),
    goal('resizingVsSteady', wd?.value ?? null, wd ? `resize suite, resizing (${o.policies[0]}) vs idle: ${during.map((f) => `${f.label} ${formatRatio(f.value)}`).join(', ')}` : missing),
    sharedmapGoal(cells),
  ];
}

function costTable(cells: Cell[]): string {
  const maps = cells.filter((c) => c.role === 'map' && c.summary !== null);
  if (maps.length === 0) return '';
  return markdownTable(
    [
      'map',
      'CPUs',
      'loop',
      { header: 'ops/s', align: 'right' },
      { header: '/ hash', align: 'right' },
      { header: '/ idle', align: 'right' },
      { header: 'EBUSY per M ops', align: 'right' },
      { header: 'retries/s', align: 'right' },
      { header: 'resizes/s', align: 'right' },
      { header: 'time resizing', align: 'right' },
      { header: 'per resize', align: 'right' },
    ],
    maps.map((c) => {
      const p = { entries: c.params.entries!, valueSize: c.params.valueSize!, mixer: c.params.mixer!, cpus: c.params.cpus! };
      const { ns, resizes, resizeNs, retries } = resizeTotals(c);
      const isResizing = c.repetitions.some((r) => r.extra !== undefined);
      return [
        c.subject,
        String(c.params.cpus),
        mixerLabel(c.params.mixer as Mixer),
        throughputText(c),
        formatRatio(ratio(median(c), median(findCell(cells, 'hash', p)))),
        formatRatio(ratio(median(c), median(findCell(cells, IDLE, p)))),
        formatRatio(c.notes.ebusyPerMillion as number | null),
        isResizing ? sig((retries * 1e9) / ns) : '–',
        isResizing ? sig((resizes * 1e9) / ns) : '–',
        isResizing ? formatPercent(ratio(resizeNs, ns)) : '–',
        isResizing ? formatNs(ratio(resizeNs, resizes)) : '–',
      ];
    }),
  );
}

function markdown(r: BenchResult, chartFile: (name: string) => string | null): string {
  const blocks: string[] = [
    runHeader(r),
    "The cost of having resize: hash_resize with automatic resizing off, on but idle (its load stays between the watermarks), and while the agent keeps it resizing (a grow, then a shrink, back to back, migrated by the resizer thread) under each EBUSY policy: fail (kernel style: the update returns -EBUSY), retry (bounded waits for the migration), help (the update migrates its bucket itself: never -EBUSY). EBUSY is counted by the CPUs over the timed part; resizes, retries (the retry policy's waits, counted by the map) and time resizing are over each repetition's whole wall time (setup and warm-up included).",
  ];
  const keys = [...new Set(r.cells.map((c) => `${c.params.entries}/${c.params.valueSize}`))];
  for (const k of keys) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const cells = r.cells.filter((c) => c.params.entries === e && c.params.valueSize === v);
    const row = (c: Cell): string => (c.role === 'map' ? `${c.subject}, ${c.params.cpus} CPU${c.params.cpus === 1 ? '' : 's'}` : c.subject);
    const col = (c: Cell): string => mixerLabel(c.params.mixer as Mixer);
    blocks.push(
      section(
        `${formatCount(e)} entries, ${v} B values`,
        2,
        costTable(cells),
        `Ratios to the references (/ ${MAP_REFERENCES.join(' · / ')}):`,
        ratiosPivot(cells, row, col, MAP_REFERENCES),
        image('hash_resize throughput by resize state and policy', chartFile(`ops-e${formatCount(e)}-v${v}`)),
        image('EBUSY per million operations by policy', chartFile(`ebusy-e${formatCount(e)}-v${v}`)),
      ),
    );
  }
  blocks.push(section('Goals', 2, goalsTable(r.goals)));
  return section('The cost of resize (hash_resize)', 1, ...blocks);
}

async function charts(r: BenchResult): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const keys = [...new Set(r.cells.map((c) => `${c.params.entries}/${c.params.valueSize}`))];
  for (const k of keys) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const cells = r.cells.filter((c) => c.params.entries === e && c.params.valueSize === v && c.role === 'map');
    const mixer = (c: Cell) => ({ mixerLabel: mixerLabel(c.params.mixer as Mixer), ebusyPerMillion: (c.notes.ebusyPerMillion as number | null) ?? 0 });
    const data = chartData(cells, mixer);
    if (data.length === 0) continue;
    out[`ops-e${formatCount(e)}-v${v}`] = await barChartSvg({
      title: `hash_resize: the cost of resize (4 B key, ${v} B value, ${formatCount(e)} entries)`,
      data,
      x: 'subject',
      xTitle: 'map and resize state',
      y: 'mops',
      yTitle: 'M ops/s (all CPUs)',
      group: 'cpusLabel',
      colorTitle: 'CPUs',
      column: 'mixerLabel',
      columnTitle: 'loop',
      errorLow: 'mopsMin',
      errorHigh: 'mopsMax',
      width: 260,
    });
    const busy = data.filter((d) => String(d.subject).startsWith('hash_resize resizing'));
    if (busy.length > 0) {
      out[`ebusy-e${formatCount(e)}-v${v}`] = await barChartSvg({
        title: `EBUSY per million operations while resizing (${formatCount(e)} entries)`,
        data: busy,
        x: 'subject',
        xTitle: 'EBUSY policy',
        y: 'ebusyPerMillion',
        yTitle: 'EBUSY per M ops',
        group: 'cpusLabel',
        colorTitle: 'CPUs',
        column: 'mixerLabel',
        columnTitle: 'loop',
        width: 200,
      });
    }
  }
  return out;
}

export const resizeSuite: Suite = {
  name: 'resize',
  title: 'The cost of resize (hash_resize)',
  description: 'hash_resize with autoResize off, on but idle, and during continuous grow/shrink under each EBUSY policy; EBUSY per million ops',
  defaults(quick, cores) {
    return {
      quick,
      entries: [GOAL_ENTRIES],
      valueSizes: [4],
      mixers: quick ? [10] : [100, 10, 1],
      cpus: cpuRange(cores),
      repetitions: 5,
      durationMs: quick ? 150 : 1000,
      warmupOps: quick ? 100_000 : 1_000_000,
      batch: 256,
      seed: 1,
      orders: ['shuffled'],
      policies: ['fail', 'retry', 'help'],
      subjects: null,
    };
  },
  plan,
  matchOn: ['entries', 'valueSize', 'mixer'],
  goals,
  markdown,
  charts,
};
