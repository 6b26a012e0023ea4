import type { Summary } from '../harness/summary.js';
import type { MachineInfo } from './machine.js';
import { check, isAny, isArray, isBoolean, isLiteral, isNullable, isNumber, isObject, isRecord, isString, isAnyOf, type Validator } from './validate.js';

/** The version of the result file format. A reader refuses any other. */
export const BENCH_SCHEMA = 'rightsize-bench/1';

/** One CPU's share of a repetition (counted by the program, timed by the Machine from the barrier). */
export interface CpuFigure {
  cpu: number;
  lookups: number;
  updates: number;
  /** Lookups that found nothing. */
  misses: number;
  /** lookups + updates. */
  ops: number;
  /** Barrier to this CPU's last event. */
  elapsedNs: number;
  opsPerSec: number;
  /** CPU time the thread actually got meanwhile (Linux schedstat; null elsewhere): below elapsedNs when others took the core. */
  cpuNs: number | null;
}

/** One timed run of a cell. */
export interface Repetition {
  /** Sum of the CPUs' ops/s: the cell's throughput. */
  opsPerSec: number;
  ops: number;
  /** First CPU leaving the barrier to the last CPU's end. */
  elapsedNs: number;
  misses: number;
  /** Update results by errno name, summed over CPUs. */
  results: Record<string, number>;
  cpus: CpuFigure[];
  /** Figures of this repetition that only some cells have (resizes started, ns spent resizing, ...). */
  extra?: Record<string, number>;
}

export type ParamValue = string | number | boolean;

/** What was measured: a subject (map type or reference) under some parameters, repeated. */
export interface Cell {
  /** Unique in the file: the subject and every parameter. */
  id: string;
  /** 'hash', 'hash noPrealloc', 'hash_resize resizing', 'unsync', 'Map', 'sharedmap', 'empty', ... */
  subject: string;
  role: 'map' | 'reference' | 'baseline';
  params: Record<string, ParamValue>;
  repetitions: Repetition[];
  /** Of the repetitions' opsPerSec; null when the cell failed before any repetition. */
  summary: Summary | null;
  /** Median over the matching reference's median, by reference kind (null: no such reference measured). */
  ratios: Record<string, number | null>;
  /** Derived figures (EBUSY per million ops, ns per op, ...). */
  notes: Record<string, number | string | null>;
  /** The map's stats() after the cell's last repetition. */
  mapStats?: Record<string, unknown>;
  error?: string;
}

/** A goal of the issue, and where this run puts it. */
export interface Goal {
  id: string;
  text: string;
  /** The figure must be >= target. */
  target: number;
  /** The measured figure; null when this run did not measure it. */
  value: number | null;
  met: boolean | null;
  /** Which cells, which conditions, other figures around it. */
  detail: string;
}

export interface BenchResult {
  schema: typeof BENCH_SCHEMA;
  suite: string;
  title: string;
  createdAt: string;
  /** The command line that produced it. */
  command: string;
  machine: MachineInfo;
  /** The suite's options as used (defaults filled in). */
  parameters: Record<string, unknown>;
  cells: Cell[];
  goals: Goal[];
  /** Wall time of the whole suite. */
  wallMs: number;
}

const count = isNumber({ min: 0 });
const rate = isNumber({ min: 0 });

const summaryV: Validator = isObject({ n: isNumber({ min: 1, integer: true }), median: rate, min: rate, max: rate, q1: rate, q3: rate, mean: rate });

const cpuFigureV = isObject({
  cpu: isNumber({ min: 0, integer: true }),
  lookups: count,
  updates: count,
  misses: count,
  ops: count,
  elapsedNs: isNumber({ min: 0 }),
  opsPerSec: rate,
  cpuNs: isNullable(isNumber({ min: 0 })),
});

const repetitionV = isObject(
  { opsPerSec: rate, ops: count, elapsedNs: isNumber({ min: 0 }), misses: count, results: isRecord(count), cpus: isArray(cpuFigureV, { minLength: 1 }) },
  { extra: isRecord(isNumber()) },
);

const paramV: Validator = isAnyOf(isString(), isNumber(), isBoolean);

const cellV = isObject(
  {
    id: isString({ nonEmpty: true }),
    subject: isString({ nonEmpty: true }),
    role: isLiteral('map', 'reference', 'baseline'),
    params: isRecord(paramV),
    repetitions: isArray(repetitionV),
    summary: isNullable(summaryV),
    ratios: isRecord(isNullable(isNumber({ min: 0 }))),
    notes: isRecord(isAnyOf(isNumber(), isString(), isLiteral(null))),
  },
  { mapStats: isRecord(isAny), error: isString() },
);

const goalV = isObject({
  id: isString({ nonEmpty: true }),
  text: isString({ nonEmpty: true }),
  target: isNumber(),
  value: isNullable(isNumber()),
  met: isNullable(isBoolean),
  detail: isString(),
});

export const machineInfoV = isObject({
  cpuModel: isString(),
  cores: isNumber({ min: 1, integer: true }),
  availableParallelism: isNumber({ min: 1, integer: true }),
  totalMemoryBytes: count,
  platform: isString(),
  arch: isString(),
  osRelease: isString(),
  nodeVersion: isString({ pattern: /^v\d+\./ }),
  v8Version: isString(),
  loadAverage: isArray(isNumber({ min: 0 })),
});

const benchResultV = isObject({
  schema: isLiteral(BENCH_SCHEMA),
  suite: isString({ nonEmpty: true }),
  title: isString(),
  createdAt: isString({ pattern: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ }),
  command: isString(),
  machine: machineInfoV,
  parameters: isRecord(isAny),
  cells: isArray(cellV),
  goals: isArray(goalV),
  wallMs: isNumber({ min: 0 }),
});

/** Checks that go beyond shapes: figures that must agree with each other. */
function consistency(r: BenchResult, errors: string[]): void {
  const ids = new Set<string>();
  r.cells.forEach((c, i) => {
    const at = `$.cells[${i}]`;
    if (ids.has(c.id)) errors.push(`${at}.id: duplicate cell id ${JSON.stringify(c.id)}`);
    ids.add(c.id);
    if (c.summary === null) {
      if (c.repetitions.length > 0) errors.push(`${at}.summary: null although the cell has ${c.repetitions.length} repetitions`);
      if (c.error === undefined) errors.push(`${at}: a cell without a summary must say why (error)`);
      return;
    }
    const s = c.summary;
    if (s.n !== c.repetitions.length) errors.push(`${at}.summary.n: ${s.n}, but ${c.repetitions.length} repetitions`);
    if (!(s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max)) errors.push(`${at}.summary: min <= q1 <= median <= q3 <= max does not hold`);
    const rates = c.repetitions.map((x) => x.opsPerSec);
    if (rates.length > 0 && (Math.min(...rates) !== s.min || Math.max(...rates) !== s.max)) errors.push(`${at}.summary: min/max differ from the repetitions'`);
    c.repetitions.forEach((rep, j) => {
      const sumOps = rep.cpus.reduce((a, x) => a + x.ops, 0);
      if (sumOps !== rep.ops) errors.push(`${at}.repetitions[${j}].ops: ${rep.ops}, but its CPUs add up to ${sumOps}`);
      rep.cpus.forEach((cpu, k) => {
        if (cpu.lookups + cpu.updates !== cpu.ops) errors.push(`${at}.repetitions[${j}].cpus[${k}].ops: not lookups + updates`);
      });
    });
  });
  r.goals.forEach((g, i) => {
    if ((g.value === null) !== (g.met === null)) errors.push(`$.goals[${i}]: value and met must both be null or both be set`);
    else if (g.value !== null && g.met !== g.value >= g.target) errors.push(`$.goals[${i}].met: disagrees with value ${g.value} and target ${g.target}`);
  });
}

/** The problems of a would-be result file; an empty list means it is valid. */
export function validateBenchResult(value: unknown): string[] {
  const errors = check(benchResultV, value);
  if (errors.length === 0) consistency(value as BenchResult, errors);
  return errors;
}

/** Throws a TypeError listing the problems unless `value` is a valid result file. */
export function assertBenchResult(value: unknown): asserts value is BenchResult {
  const errors = validateBenchResult(value);
  if (errors.length > 0) throw new TypeError(`not a valid ${BENCH_SCHEMA} result:\n  ${errors.slice(0, 20).join('\n  ')}${errors.length > 20 ? `\n  ... and ${errors.length - 20} more` : ''}`);
}
