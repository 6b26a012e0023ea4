import { createMap, type ArrayOfMapsMap, type BpfMap, type MapSpec } from '@rightsize/engine';
import { keySequence, type KeyOrder } from '../harness/keys.js';
import { ratio } from '../harness/ratio.js';
import type { ArrayOfMapsLoopParams } from '../programs/array-of-maps-loop.js';
import { programUrl } from '../programs/url.js';
import type { BenchResult, Cell, Goal } from '../report/bench-result.js';
import { barChartSvg } from '../report/charts.js';
import { formatCount, formatRatio } from '../report/format.js';
import { section } from '../report/markdown.js';
import { mapCells, referenceGroup, type Variant } from './cells.js';
import { findCell, goal, goalsTable, median, sharedmapGoal, worst } from './goals.js';
import { cpuRange, loopOf, mixerLabel, type Mixer, type SuiteOptions } from './options.js';
import type { GroupEnv, GroupPlan, Suite } from './plan.js';
import { chartData, image, pivot, ratiosPivot, runHeader, throughputText } from './report-helpers.js';

export const ARRAY_REFERENCES = ['typed_array', 'unsync', 'Map', 'sharedmap'] as const;

/** Elements per inner array of array_of_maps N and per sub-array of array_resize (the talk's SIZE, a power of two). */
const SUB_ARRAY = 1024;
const GOAL_ENTRIES = 65536;
const GOAL_VALUE = 4;

const arraySpec = (entries: number, valueSize: number, nCpus: number): MapSpec => ({ type: 'array', keySize: 4, valueSize, maxEntries: entries, nCpus });

/** An array_of_maps of `inners` ARRAY maps of `innerSize` elements each, every slot filled. */
function arrayOfMaps(inners: number, innerSize: number, valueSize: number, nCpus: number): GroupEnv {
  const outer = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: inners, nCpus, inner: arraySpec(innerSize, valueSize, nCpus) }) as ArrayOfMapsMap;
  try {
    for (let i = 0; i < inners; i++) {
      const r = outer.setInner(i, createMap(arraySpec(innerSize, valueSize, nCpus)));
      if (r !== 0) throw new Error(`array_of_maps: installing inner array ${i} returned ${r}`);
    }
  } catch (err) {
    outer.destroy();
    throw err;
  }
  // The outer map owns its inner maps: destroying it destroys them.
  return { maps: { m: outer }, close: () => outer.destroy() };
}

function single(map: BpfMap): GroupEnv {
  return { maps: { m: map }, close: () => map.destroy() };
}

function plan(o: SuiteOptions): GroupPlan[] {
  const groups: GroupPlan[] = [];
  const maxCpus = Math.max(...o.cpus);
  const wanted = (s: string): boolean => o.subjects === null || o.subjects.includes(s);
  for (const entries of o.entries) {
    const innerSize = Math.min(SUB_ARRAY, entries);
    const inners = Math.ceil(entries / innerSize);
    const innerShift = Math.log2(innerSize);
    const keysByOrder = new Map<KeyOrder, SharedArrayBuffer>(o.orders.map((ord) => [ord, keySequence(entries, ord, o.seed)]));
    for (const valueSize of o.valueSizes) {
      const at = `${formatCount(entries)} entries, ${valueSize} B values`;
      const variants: Variant[] = [];
      for (const order of o.orders) {
        for (const mixer of o.mixers) {
          variants.push({ params: { entries, valueSize, order, mixer }, loop: { keys: keysByOrder.get(order)!, batch: o.batch, valueSize, keyBase: 0, ...loopOf(mixer) } });
        }
      }
      if (variants.some((v) => v.loop.loop !== 'mixer')) throw new RangeError("the arrays suite runs the mixer loop only (mixers must be numbers, not 'lookup')");
      groups.push({ ...referenceGroup(`references, ${at}`, ARRAY_REFERENCES, variants, { maxEntries: entries, fill: entries, keySpace: entries }), sideBySide: at });
      if (wanted('array')) groups.push({ sideBySide: at, label: `array, ${at}`, open: () => single(createMap(arraySpec(entries, valueSize, maxCpus))), cells: mapCells('array', o.cpus, variants) });
      for (const [subject, layout, n, size] of [
        ['array_of_maps 1', 'one', 1, entries],
        ['array_of_maps N', 'slots', inners, innerSize],
      ] as const) {
        if (!wanted(subject)) continue;
        const aomVariants = variants.map((v) => ({ ...v, loop: { ...v.loop, layout, innerShift } as ArrayOfMapsLoopParams }));
        groups.push({
          sideBySide: at,
          label: `${subject}, ${at}`,
          open: () => arrayOfMaps(n, size, valueSize, maxCpus),
          cells: mapCells(subject, o.cpus, aomVariants, { program: programUrl('array-of-maps-loop', subject) }),
        });
      }
      if (wanted('array_resize')) {
        groups.push({
          sideBySide: at,
          label: `array_resize, ${at}`,
          open: () => single(createMap({ type: 'array_resize', keySize: 4, valueSize, maxEntries: entries, nCpus: maxCpus, arrayResize: { subArraySize: innerSize, initialEntries: entries } })),
          cells: mapCells('array_resize', o.cpus, variants),
        });
      }
    }
  }
  return groups;
}

function goals(cells: Cell[]): Goal[] {
  const at = { entries: GOAL_ENTRIES, valueSize: GOAL_VALUE, cpus: 1 };
  const orders = [...new Set(cells.filter((c) => c.subject === 'array_resize').map((c) => String(c.params.order)))];
  const mixers = [...new Set(cells.filter((c) => c.subject === 'array_resize').map((c) => c.params.mixer))];
  const figures = orders.flatMap((order) =>
    mixers.map((mixer) => ({
      label: `${order}${mixers.length > 1 ? `, ${mixerLabel(mixer as Mixer)}` : ''}`,
      value: ratio(median(findCell(cells, 'array_resize', { ...at, order, mixer })), median(findCell(cells, 'array', { ...at, order, mixer }))),
    })),
  );
  const w = worst(figures);
  return [
    goal(
      'arrayResizeVsArray',
      w?.value ?? null,
      w ? `worst: ${w.label}; ${figures.map((f) => `${f.label} ${formatRatio(f.value)}`).join(', ')}` : 'not in this run (needs --entries 64Ki --values 4 and CPUs 1)',
    ),
    sharedmapGoal(cells),
  ];
}

function markdown(r: BenchResult, chartFile: (name: string) => string | null): string {
  const blocks: string[] = [
    runHeader(r),
    `Each iteration looks one element up and updates it (mixer 1: the talk's array loop), keys walked in order (sequential) or in a seeded random order (shuffled). array_of_maps 1: one inner ARRAY holding every element, its pointer looked up once per batch; array_of_maps N: inner ARRAYs of ${SUB_ARRAY} elements, the inner map looked up every iteration (slot = key >> 10, offset = key & 1023); array_resize: sub-arrays of ${SUB_ARRAY} elements.`,
  ];
  const keys = [...new Set(r.cells.map((c) => `${c.params.entries}/${c.params.valueSize}`))];
  for (const k of keys) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const cells = r.cells.filter((c) => c.params.entries === e && c.params.valueSize === v);
    const row = (c: Cell): string => (c.role === 'map' ? `${c.subject}, ${c.params.cpus} CPU${c.params.cpus === 1 ? '' : 's'}` : c.subject);
    const col = (c: Cell): string => `${c.params.order}${r.parameters.mixers && (r.parameters.mixers as unknown[]).length > 1 ? `, ${mixerLabel(c.params.mixer as Mixer)}` : ''}`;
    blocks.push(
      section(
        `${formatCount(e)} entries, ${v} B values`,
        2,
        'Throughput, ops/s (all CPUs; an iteration is two operations):',
        pivot(cells, 'map', row, col, throughputText),
        `Ratios to the references (/ ${ARRAY_REFERENCES.join(' · / ')}):`,
        ratiosPivot(cells, row, col, ARRAY_REFERENCES),
        image('array map operations per second', chartFile(`ops-e${formatCount(e)}-v${v}`)),
      ),
    );
  }
  blocks.push(section('Goals', 2, goalsTable(r.goals)));
  return section('Array map operations per second', 1, ...blocks);
}

async function charts(r: BenchResult): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const keys = [...new Set(r.cells.map((c) => `${c.params.entries}/${c.params.valueSize}`))];
  for (const k of keys) {
    const [e, v] = k.split('/').map(Number) as [number, number];
    const data = chartData(
      r.cells.filter((c) => c.params.entries === e && c.params.valueSize === v),
      (c) => ({ orderLabel: `${c.params.order}` }),
    );
    if (data.length === 0) continue;
    out[`ops-e${formatCount(e)}-v${v}`] = await barChartSvg({
      title: `Array map operations per second (4 B key, ${v} B value, ${formatCount(e)} entries)`,
      data,
      x: 'subject',
      xTitle: 'map (references: one thread)',
      y: 'mops',
      yTitle: 'M ops/s (all CPUs)',
      group: 'cpusLabel',
      colorTitle: 'CPUs',
      column: 'orderLabel',
      columnTitle: 'key order',
      errorLow: 'mopsMin',
      errorHigh: 'mopsMax',
      width: 280,
    });
  }
  return out;
}

export const arraysSuite: Suite = {
  name: 'arrays',
  title: 'Array map operations per second',
  description: 'ARRAY, ARRAY_OF_MAPS with one and with N inner arrays, array_resize: look up and update one element per iteration, keys in order and at random',
  defaults(quick, cores) {
    return {
      quick,
      entries: quick ? [GOAL_ENTRIES] : [GOAL_ENTRIES, 4 * 2 ** 20],
      valueSizes: quick ? [4] : [4, 50],
      mixers: [1],
      cpus: cpuRange(cores),
      repetitions: 5,
      durationMs: quick ? 150 : 1000,
      warmupOps: quick ? 100_000 : 1_000_000,
      batch: 256,
      seed: 1,
      orders: ['sequential', 'shuffled'],
      policies: ['fail'],
      subjects: null,
    };
  },
  plan,
  matchOn: ['entries', 'valueSize', 'order', 'mixer'],
  goals,
  markdown,
  charts,
};
