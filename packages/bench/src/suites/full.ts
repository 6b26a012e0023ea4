import type { MapSpec } from '@rightsize/engine';
import { keySequence } from '../harness/keys.js';
import { ratio } from '../harness/ratio.js';
import type { BenchResult, Cell, Goal } from '../report/bench-result.js';
import { barChartSvg } from '../report/charts.js';
import { formatCount, formatPercent } from '../report/format.js';
import { markdownTable, section } from '../report/markdown.js';
import { mapCells, referenceGroup, type Variant } from './cells.js';
import { createFilled, steadyBuckets } from './fill.js';
import { goalsTable, sharedmapGoal } from './goals.js';
import { MAP_REFERENCES } from './maps.js';
import { cpuRange, type SuiteOptions } from './options.js';
import type { GroupPlan, Suite } from './plan.js';
import { chartData, image, pivot, ratiosPivot, runHeader, throughputText } from './report-helpers.js';

/** 'new': keys that are not in the full map (each update is refused, or evicts for LRU); 'existing': keys it holds (each replaces). */
type KeysMode = 'new' | 'existing';

interface FullSubject {
  subject: string;
  spec(entries: number, valueSize: number, nCpus: number): MapSpec;
  modes: KeysMode[];
}

const SUBJECTS: FullSubject[] = [
  { subject: 'hash', spec: (e, v, n) => ({ type: 'hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n }), modes: ['new', 'existing'] },
  { subject: 'hash noPrealloc', spec: (e, v, n) => ({ type: 'hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n, flags: { noPrealloc: true } }), modes: ['new', 'existing'] },
  {
    subject: 'hash_resize',
    // Filled to its bound (maxEntries): the resizable map is full too, and refuses past it.
    spec: (e, v, n) => ({ type: 'hash_resize', keySize: 4, valueSize: v, maxEntries: e, nCpus: n, resize: { initialBuckets: steadyBuckets(e) } }),
    modes: ['new', 'existing'],
  },
  // An LRU map is never full: a new key evicts. Its "existing" figure would not stay one (evictions replace the keys).
  { subject: 'lru_hash', spec: (e, v, n) => ({ type: 'lru_hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n }), modes: ['new'] },
];

function plan(o: SuiteOptions): GroupPlan[] {
  const groups: GroupPlan[] = [];
  const maxCpus = Math.max(...o.cpus);
  const wanted = (s: string): boolean => o.subjects === null || o.subjects.includes(s);
  for (const entries of o.entries) {
    const keys = keySequence(entries, 'shuffled', o.seed);
    for (const valueSize of o.valueSizes) {
      const at = `${formatCount(entries)} entries, ${valueSize} B values`;
      const variant = (mode: KeysMode): Variant => ({
        params: { entries, valueSize, keys: mode },
        loop: { keys, batch: o.batch, valueSize, keyBase: mode === 'new' ? entries : 0, loop: 'update', mixer: 1 },
      });
      groups.push({ ...referenceGroup(`references, ${at}`, MAP_REFERENCES, [variant('new'), variant('existing')], { maxEntries: entries, fill: entries, keySpace: 2 * entries }), sideBySide: at });
      for (const s of SUBJECTS) {
        if (!wanted(s.subject)) continue;
        groups.push({
          sideBySide: at,
          label: `${s.subject}, ${at}`,
          open: () => {
            const map = createFilled(s.spec(entries, valueSize, maxCpus), entries);
            return { maps: { m: map }, close: () => map.destroy() };
          },
          cells: mapCells(s.subject, o.cpus, s.modes.map(variant)),
        });
      }
    }
  }
  return groups;
}

function goals(cells: Cell[]): Goal[] {
  return [sharedmapGoal(cells)];
}

/** What the updates returned, as shares: "E2BIG 100%". */
function outcomes(c: Cell): string {
  const total: Record<string, number> = {};
  for (const r of c.repetitions) for (const [k, n] of Object.entries(r.results)) total[k] = (total[k] ?? 0) + n;
  const all = Object.values(total).reduce((a, b) => a + b, 0);
  return Object.entries(total)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${formatPercent(ratio(n, all))}`)
    .join(', ');
}

function markdown(r: BenchResult, chartFile: (name: string) => string | null): string {
  const blocks: string[] = [
    runHeader(r),
    'Updates into a full map (the kernel\'s full-update benchmark): every map holds maxEntries entries; each iteration updates one key. "new" keys are not in the map: a HASH must refuse them (-E2BIG) and the faster it fails the better; an LRU map evicts instead. "existing" keys are in the map: replacing must keep working when it is full.',
  ];
  const keys = [...new Set(r.cells.map((c) => `${c.params.entries}/${c.params.valueSize}`))];
  for (const k of keys) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const cells = r.cells.filter((c) => c.params.entries === e && c.params.valueSize === v);
    const row = (c: Cell): string => (c.role === 'map' ? `${c.subject}, ${c.params.cpus} CPU${c.params.cpus === 1 ? '' : 's'}` : c.subject);
    const col = (c: Cell): string => `${c.params.keys} keys`;
    blocks.push(
      section(
        `${formatCount(e)} entries, ${v} B values`,
        2,
        'Updates per second (all CPUs):',
        pivot(cells, 'map', row, col, throughputText),
        `Ratios to the references (/ ${MAP_REFERENCES.join(' · / ')}):`,
        ratiosPivot(cells, row, col, MAP_REFERENCES),
        'What the updates returned:',
        markdownTable(
          ['map', 'keys', 'results'],
          cells.filter((c) => c.summary !== null).map((c) => [row(c), String(c.params.keys), outcomes(c)]),
        ),
        image('updates per second into a full map', chartFile(`ops-e${formatCount(e)}-v${v}`)),
      ),
    );
  }
  blocks.push(section('Goals', 2, goalsTable(r.goals)));
  return section('Updates into a full map', 1, ...blocks);
}

async function charts(r: BenchResult): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const keys = [...new Set(r.cells.map((c) => `${c.params.entries}/${c.params.valueSize}`))];
  for (const k of keys) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const data = chartData(
      r.cells.filter((c) => c.params.entries === e && c.params.valueSize === v),
      (c) => ({ keysLabel: `${c.params.keys} keys` }),
    );
    if (data.length === 0) continue;
    out[`ops-e${formatCount(e)}-v${v}`] = await barChartSvg({
      title: `Updates per second into a full map (4 B key, ${v} B value, ${formatCount(e)} entries)`,
      data,
      x: 'subject',
      xTitle: 'map (references: one thread)',
      y: 'mops',
      yTitle: 'M updates/s (all CPUs)',
      group: 'cpusLabel',
      colorTitle: 'CPUs',
      column: 'keysLabel',
      columnTitle: 'keys',
      errorLow: 'mopsMin',
      errorHigh: 'mopsMax',
      width: 260,
    });
  }
  return out;
}

export const fullSuite: Suite = {
  name: 'full',
  title: 'Updates into a full map',
  description: "updates into a full HASH (the kernel's full-update benchmark): new keys must fail fast (-E2BIG), existing keys must still update",
  defaults(quick, cores) {
    return {
      quick,
      entries: [65536],
      valueSizes: quick ? [4] : [4, 50],
      mixers: [1],
      cpus: cpuRange(cores),
      repetitions: 5,
      durationMs: quick ? 150 : 1000,
      warmupOps: quick ? 100_000 : 1_000_000,
      batch: 256,
      seed: 1,
      orders: ['shuffled'],
      policies: ['fail'],
      subjects: null,
    };
  },
  plan,
  matchOn: ['entries', 'valueSize', 'keys'],
  goals,
  markdown,
  charts,
};
