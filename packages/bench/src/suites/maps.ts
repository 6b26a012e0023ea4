import type { MapSpec } from '@rightsize/engine';
import { keySequence } from '../harness/keys.js';
import { ratio } from '../harness/ratio.js';
import { programUrl } from '../programs/url.js';
import type { BenchResult, Cell, Goal } from '../report/bench-result.js';
import { barChartSvg, lineChartSvg, type Datum } from '../report/charts.js';
import { formatCount, formatNs, formatPercent, formatRatio, formatRate, sig } from '../report/format.js';
import { markdownTable, section } from '../report/markdown.js';
import { createFilled, steadyBuckets } from './fill.js';
import { findCell, goal, goalsTable, median, sharedmapGoal, worst } from './goals.js';
import { cpuRange, loopOf, mixerLabel, type Mixer, type SuiteOptions } from './options.js';
import { mapCells, referenceGroup, type Variant } from './cells.js';
import type { GroupPlan, Suite } from './plan.js';
import { chartData, cpuSecondText, image, pivot, ratiosPivot, resizeTotals, runHeader, throughputText } from './report-helpers.js';

export const MAP_REFERENCES = ['unsync', 'Map', 'sharedmap'] as const;

interface MapSubject {
  subject: string;
  spec(entries: number, valueSize: number, nCpus: number): MapSpec;
  resizing?: boolean;
}

/**
 * hash_resize is bounded at four times the entries, so that it can grow once
 * above its steady size (a table has at most the next power of two of
 * maxEntries buckets); it starts at the bucket count that holds the entries
 * below its grow watermark, so that "steady" means no resize at all.
 */
const hashResizeSpec = (e: number, v: number, n: number): MapSpec => ({
  type: 'hash_resize',
  keySize: 4,
  valueSize: v,
  maxEntries: 4 * e,
  nCpus: n,
  resize: { initialBuckets: steadyBuckets(4 * e, e) },
});

export const MAP_SUBJECTS: MapSubject[] = [
  { subject: 'hash', spec: (e, v, n) => ({ type: 'hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n }) },
  { subject: 'hash noPrealloc', spec: (e, v, n) => ({ type: 'hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n, flags: { noPrealloc: true } }) },
  { subject: 'lru_hash', spec: (e, v, n) => ({ type: 'lru_hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n }) },
  { subject: 'percpu_hash', spec: (e, v, n) => ({ type: 'percpu_hash', keySize: 4, valueSize: v, maxEntries: e, nCpus: n }) },
  { subject: 'hash_resize', spec: hashResizeSpec },
  { subject: 'hash_resize resizing', spec: hashResizeSpec, resizing: true },
];

const HELPERS_SUBJECT = 'hash (ctx helpers)';
const EMPTY_SUBJECT = 'empty';
const GOAL_ENTRIES = 65536;
const GOAL_VALUE = 4;

/** Key sequences, made once per entry count and shared by every run. */
function keysFor(cache: Map<number, SharedArrayBuffer>, entries: number, seed: number): SharedArrayBuffer {
  let k = cache.get(entries);
  if (!k) cache.set(entries, (k = keySequence(entries, 'shuffled', seed)));
  return k;
}

function plan(o: SuiteOptions): GroupPlan[] {
  const groups: GroupPlan[] = [];
  const keyCache = new Map<number, SharedArrayBuffer>();
  const maxCpus = Math.max(...o.cpus);
  const wanted = (s: string): boolean => o.subjects === null || o.subjects.includes(s);
  for (const entries of o.entries) {
    for (const valueSize of o.valueSizes) {
      const keys = keysFor(keyCache, entries, o.seed);
      const at = `${formatCount(entries)} entries, ${valueSize} B values`;
      const variant = (mixer: Mixer): Variant => ({
        params: { entries, valueSize, mixer },
        loop: { keys, batch: o.batch, valueSize, keyBase: 0, ...loopOf(mixer) },
      });
      const variants = o.mixers.map(variant);
      groups.push({ ...referenceGroup(`references, ${at}`, MAP_REFERENCES, variants, { maxEntries: entries, fill: entries, keySpace: entries }), sideBySide: at });
      groups.push({
        sideBySide: at,
        label: `empty loop, ${at}`,
        open: () => ({ maps: {}, close() {} }),
        cells: mapCells(EMPTY_SUBJECT, o.cpus, [variant('lookup')], { role: 'baseline', program: programUrl('empty-loop', EMPTY_SUBJECT) }),
      });
      for (const s of MAP_SUBJECTS) {
        if (!wanted(s.subject)) continue;
        const cells = mapCells(s.subject, o.cpus, variants, s.resizing ? { resizing: true } : {});
        if (s.subject === 'hash' && o.cpus.includes(1)) {
          // The same loop through ctx.lookupU32: what the helpers' accounting costs (latency sampled 1 in 64, the default).
          cells.push(...mapCells(HELPERS_SUBJECT, [1], [variant('lookup')], { program: programUrl('helper-loop', HELPERS_SUBJECT), latencySampleEvery: 64 }));
        }
        groups.push({
          sideBySide: at,
          label: `${s.subject}, ${at}`,
          open: () => {
            const map = createFilled(s.spec(entries, valueSize, maxCpus), entries);
            return { maps: { m: map }, close: () => map.destroy() };
          },
          cells,
        });
      }
    }
  }
  return groups;
}

function goals(cells: Cell[]): Goal[] {
  const at = { entries: GOAL_ENTRIES, valueSize: GOAL_VALUE };
  const missing = 'not in this run (needs --entries 64Ki --values 4, CPUs 1, mixers lookup and 10)';
  const hashLookup1 = findCell(cells, 'hash', { ...at, mixer: 'lookup', cpus: 1 });
  const hashLookup2 = findCell(cells, 'hash', { ...at, mixer: 'lookup', cpus: 2 });
  const hashMixer10 = findCell(cells, 'hash', { ...at, mixer: 10, cpus: 1 });
  const empty1 = findCell(cells, EMPTY_SUBJECT, { ...at, cpus: 1 });
  const empty2 = findCell(cells, EMPTY_SUBJECT, { ...at, cpus: 2 });
  const out: Goal[] = [];

  const versus = (c: Cell | undefined, ref: Cell | undefined): string =>
    c
      ? `${c.subject} ${throughputText(c)} ops/s vs ${ref?.subject ?? 'reference'} ${throughputText(ref)}; per CPU-second ${formatRatio(ratio(c.notes.opsPerCpuSecond as number | null, ref?.notes.opsPerCpuSecond as number | null))}`
      : missing;
  out.push(goal('hashVsUnsync', hashLookup1?.ratios.unsync ?? null, versus(hashLookup1, findCell(cells, 'unsync', { ...at, mixer: 'lookup' }))));
  out.push(goal('hashVsMap', hashLookup1?.ratios.Map ?? null, versus(hashLookup1, findCell(cells, 'Map', { ...at, mixer: 'lookup' }))));
  out.push(goal('mixer10VsUnsync', hashMixer10?.ratios.unsync ?? null, versus(hashMixer10, findCell(cells, 'unsync', { ...at, mixer: 10 }))));
  const scaling = ratio(median(hashLookup2), median(hashLookup1));
  const ceiling = ratio(median(empty2), median(empty1));
  const perCpu = ratio(hashLookup2?.notes.opsPerCpuSecond as number | null, hashLookup1?.notes.opsPerCpuSecond as number | null);
  out.push(
    goal(
      'lookupScaling',
      scaling,
      scaling === null
        ? 'needs CPUs 1 and 2 with lookups'
        : `${throughputText(hashLookup2)} vs ${throughputText(hashLookup1)}; the 2-CPU threads ran ${formatPercent(hashLookup2?.notes.cpuShare as number | null)} of the wall time; the empty loop scales ${formatRatio(ceiling)} on this machine now (its ceiling); per CPU-second ${formatRatio(perCpu)}`,
    ),
  );

  const mixers = [...new Set(cells.filter((c) => c.subject === 'hash_resize').map((c) => c.params.mixer))];
  const steadyVsHash = mixers.map((m) => ({
    label: mixerLabel(m as Mixer),
    value: ratio(median(findCell(cells, 'hash_resize', { ...at, mixer: m, cpus: 1 })), median(findCell(cells, 'hash', { ...at, mixer: m, cpus: 1 }))),
  }));
  const w1 = worst(steadyVsHash);
  out.push(goal('resizeSteadyVsHash', w1?.value ?? null, w1 ? `worst at ${w1.label}; ${steadyVsHash.map((f) => `${f.label} ${formatRatio(f.value)}`).join(', ')}` : missing));
  const during = (cpus: number) =>
    mixers.map((m) => ({
      label: mixerLabel(m as Mixer),
      value: ratio(median(findCell(cells, 'hash_resize resizing', { ...at, mixer: m, cpus })), median(findCell(cells, 'hash_resize', { ...at, mixer: m, cpus }))),
    }));
  const d1 = during(1);
  const d2 = during(2);
  const w2 = worst(d1);
  out.push(
    goal(
      'resizingVsSteady',
      w2?.value ?? null,
      w2 ? `worst at ${w2.label}; 1 CPU: ${d1.map((f) => `${f.label} ${formatRatio(f.value)}`).join(', ')}; 2 CPUs: ${d2.map((f) => `${f.label} ${formatRatio(f.value)}`).join(', ')}` : missing,
    ),
  );
  out.push(sharedmapGoal(cells));
  return out;
}

function resizingTable(cells: Cell[]): string {
  const rs = cells.filter((c) => c.subject === 'hash_resize resizing' && c.summary !== null);
  if (rs.length === 0) return '';
  return markdownTable(
    [
      'CPUs',
      'loop',
      { header: 'ops/s', align: 'right' },
      { header: '/ steady', align: 'right' },
      { header: 'resizes/s', align: 'right' },
      { header: 'time resizing', align: 'right' },
      { header: 'EBUSY per M ops', align: 'right' },
    ],
    rs.map((c) => {
      const { ns, resizes, resizeNs } = resizeTotals(c);
      const steady = findCell(cells, 'hash_resize', { entries: c.params.entries!, valueSize: c.params.valueSize!, mixer: c.params.mixer!, cpus: c.params.cpus! });
      return [
        String(c.params.cpus),
        mixerLabel(c.params.mixer as Mixer),
        throughputText(c),
        formatRatio(ratio(median(c), median(steady))),
        sig((resizes * 1e9) / ns),
        formatPercent(ratio(resizeNs, ns)),
        formatRatio(c.notes.ebusyPerMillion as number | null),
      ];
    }),
  );
}

function overheadText(cells: Cell[]): string {
  const lines: string[] = [];
  for (const empty of cells.filter((c) => c.subject === EMPTY_SUBJECT && c.summary !== null)) {
    const p = empty.params;
    const hash = findCell(cells, 'hash', { entries: p.entries!, valueSize: p.valueSize!, mixer: 'lookup', cpus: p.cpus! });
    const emptyNs = empty.notes.nsPerOpPerCpu as number | null;
    const hashNs = (hash?.notes.nsPerOpPerCpu as number | null) ?? null;
    lines.push(
      `- ${formatCount(p.entries as number)} entries, ${p.valueSize} B, ${p.cpus} CPU${p.cpus === 1 ? '' : 's'}: the empty loop costs ${formatNs(emptyNs)} per iteration per CPU (${formatRate(empty.summary!.median)} iterations/s)` +
        (hashNs !== null && emptyNs !== null ? `, ${formatPercent(ratio(emptyNs, hashNs))} of a hash lookup's ${formatNs(hashNs)}.` : '.'),
    );
  }
  for (const h of cells.filter((c) => c.subject === HELPERS_SUBJECT && c.summary !== null)) {
    const p = h.params;
    const direct = findCell(cells, 'hash', { entries: p.entries!, valueSize: p.valueSize!, mixer: 'lookup', cpus: 1 });
    lines.push(
      `- ${formatCount(p.entries as number)} entries, ${p.valueSize} B: hash lookups through ctx.lookupU32 (counted per errno, 1 in 64 timed) run at ${formatRate(h.summary!.median)} ops/s, ${formatRatio(ratio(median(h), median(direct)))} of the direct call.`,
    );
  }
  return lines.join('\n');
}

function markdown(r: BenchResult, chartFile: (name: string) => string | null): string {
  const blocks: string[] = [runHeader(r)];
  const parts: string[] = [];
  const groups = new Map<string, Cell[]>();
  for (const c of r.cells) {
    const k = `${c.params.entries}/${c.params.valueSize}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(c);
  }
  for (const [k, cells] of groups) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const row = (c: Cell): string => (c.role === 'map' || c.role === 'baseline' ? `${c.subject}, ${c.params.cpus} CPU${c.params.cpus === 1 ? '' : 's'}` : c.subject);
    const col = (c: Cell): string => mixerLabel(c.params.mixer as Mixer);
    const main = cells.filter((c) => c.subject !== EMPTY_SUBJECT);
    const resizing = resizingTable(cells);
    parts.push(
      section(
        `${formatCount(e)} entries, 4 B keys, ${v} B values`,
        2,
        'Throughput, ops/s (all CPUs):',
        pivot(main, 'map', row, col, throughputText),
        main.some((c) => typeof c.notes.opsPerCpuSecond === 'number')
          ? 'The same per second of CPU time the measuring threads actually received (a check on a busy machine; the figures above are the measurement):'
          : '',
        main.some((c) => typeof c.notes.opsPerCpuSecond === 'number') ? pivot(main, 'map', row, col, cpuSecondText) : '',
        `Ratios to the references measured in the same run, single thread (/ ${MAP_REFERENCES.join(' · / ')}):`,
        ratiosPivot(main, row, col, MAP_REFERENCES),
        resizing === '' ? '' : 'hash_resize while the agent keeps it resizing (grow, shrink, back to back):',
        resizing,
        image('ops/s per map type and CPU count', chartFile(`ops-e${formatCount(e)}-v${v}`)),
        image('scaling over CPUs', chartFile(`scaling-e${formatCount(e)}-v${v}`)),
      ),
    );
  }
  blocks.push(...parts);
  blocks.push(section('Measurement overhead', 2, overheadText(r.cells)));
  blocks.push(section('Goals', 2, goalsTable(r.goals)));
  return section(r.title, 1, ...blocks);
}

/**
 * Each subject's throughput at n CPUs over its throughput at 1 CPU, per
 * loop, with the ideal (linear) line and the empty loop (what this machine
 * allows right now) to read it against.
 */
function speedups(cells: Cell[]): Datum[] {
  const out: Datum[] = [];
  const loops = new Set<string>();
  for (const c of cells) {
    const one = findCell(cells, c.subject, { entries: c.params.entries!, valueSize: c.params.valueSize!, mixer: c.params.mixer!, cpus: 1 });
    const s = ratio(median(c), median(one));
    if (s === null) continue;
    const mixerText = mixerLabel(c.params.mixer as Mixer);
    loops.add(mixerText);
    out.push({ subject: c.role === 'baseline' ? 'empty loop (machine ceiling)' : c.subject, cpus: c.params.cpus as number, speedup: s, mixerLabel: mixerText });
  }
  const counts = [...new Set(cells.map((c) => c.params.cpus as number))];
  for (const l of loops) for (const n of counts) out.push({ subject: 'ideal (linear)', cpus: n, speedup: n, mixerLabel: l });
  return out;
}

async function charts(r: BenchResult): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const keys = [...new Set(r.cells.map((c) => `${c.params.entries}/${c.params.valueSize}`))];
  for (const k of keys) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const cells = r.cells.filter((c) => c.params.entries === e && c.params.valueSize === v);
    const mixer = (c: Cell) => ({ mixerLabel: mixerLabel(c.params.mixer as Mixer) });
    const bars = chartData(
      cells.filter((c) => c.role !== 'baseline' && c.subject !== HELPERS_SUBJECT),
      mixer,
    );
    if (bars.length > 0) {
      out[`ops-e${formatCount(e)}-v${v}`] = await barChartSvg({
        title: `Map operations per second (4 B key, ${v} B value, ${formatCount(e)} entries)`,
        data: bars,
        x: 'subject',
        xTitle: 'map (references: one thread)',
        y: 'mops',
        yTitle: 'M ops/s (all CPUs)',
        group: 'cpusLabel',
        colorTitle: 'CPUs',
        column: 'mixerLabel',
        columnTitle: 'loop',
        errorLow: 'mopsMin',
        errorHigh: 'mopsMax',
        width: 300,
      });
    }
    const lines = speedups(cells.filter((c) => c.role !== 'reference' && c.subject !== HELPERS_SUBJECT));
    if (lines.length > 0) {
      out[`scaling-e${formatCount(e)}-v${v}`] = await lineChartSvg({
        title: `Scaling over CPUs (4 B key, ${v} B value, ${formatCount(e)} entries)`,
        data: lines,
        x: 'cpus',
        xTitle: 'CPUs',
        y: 'speedup',
        yTitle: 'ops/s relative to 1 CPU',
        color: 'subject',
        colorTitle: 'map',
        column: 'mixerLabel',
        columnTitle: 'loop',
        width: 220,
      });
    }
  }
  return out;
}

export const mapsSuite: Suite = {
  name: 'maps',
  title: 'Map operations per second (the mixer loop)',
  description: 'hash, hash noPrealloc, lru_hash, percpu_hash, hash_resize steady and resizing: lookups and the mixer loop over 1..N CPUs, against the references',
  defaults(quick, cores) {
    return {
      quick,
      entries: quick ? [GOAL_ENTRIES] : [GOAL_ENTRIES, 4 * 2 ** 20],
      valueSizes: quick ? [4] : [4, 50],
      mixers: ['lookup', 100, 10, 1],
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
  matchOn: ['entries', 'valueSize', 'mixer'],
  goals,
  markdown,
  charts,
};
