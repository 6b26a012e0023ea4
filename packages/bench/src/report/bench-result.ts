import type { Repetition } from '../harness/measure.js';
import type { Summary } from '../harness/summary.js';
import type { MachineInfo } from './machine.js';
import { Type } from '@sinclair/typebox';
import { Int, IsoTimestamp, Nullable, Strict, check } from './validate.js';

/** The version of the result file format. A reader refuses any other. */
export const BENCH_SCHEMA = 'rightsize-bench/1';

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

const count = Type.Number({ minimum: 0 });
const rate = Type.Number({ minimum: 0 });

const summarySchema = Strict({ n: Int({ minimum: 1 }), median: rate, min: rate, max: rate, q1: rate, q3: rate, mean: rate });

const cpuFigureSchema = Strict({
  cpu: Int({ minimum: 0 }),
  lookups: count,
  updates: count,
  misses: count,
  ops: count,
  elapsedNs: Type.Number({ minimum: 0 }),
  opsPerSec: rate,
  cpuNs: Nullable(Type.Number({ minimum: 0 })),
});

const repetitionSchema = Strict({
  opsPerSec: rate,
  ops: count,
  elapsedNs: Type.Number({ minimum: 0 }),
  misses: count,
  results: Type.Record(Type.String(), count),
  cpus: Type.Array(cpuFigureSchema, { minItems: 1 }),
  extra: Type.Optional(Type.Record(Type.String(), Type.Number())),
});

const cellSchema = Strict({
  id: Type.String({ minLength: 1 }),
  subject: Type.String({ minLength: 1 }),
  role: Type.Union([Type.Literal('map'), Type.Literal('reference'), Type.Literal('baseline')]),
  params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  repetitions: Type.Array(repetitionSchema),
  summary: Nullable(summarySchema),
  ratios: Type.Record(Type.String(), Nullable(Type.Number({ minimum: 0 }))),
  notes: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Null()])),
  mapStats: Type.Optional(Type.Record(Type.String(), Type.Any())),
  error: Type.Optional(Type.String()),
});

const goalSchema = Strict({
  id: Type.String({ minLength: 1 }),
  text: Type.String({ minLength: 1 }),
  target: Type.Number(),
  value: Nullable(Type.Number()),
  met: Nullable(Type.Boolean()),
  detail: Type.String(),
});

export const machineInfoSchema = Strict({
  cpuModel: Type.String(),
  cores: Int({ minimum: 1 }),
  availableParallelism: Int({ minimum: 1 }),
  totalMemoryBytes: count,
  platform: Type.String(),
  arch: Type.String(),
  osRelease: Type.String(),
  nodeVersion: Type.String({ pattern: '^v\\d+\\.' }),
  v8Version: Type.String(),
  loadAverage: Type.Array(Type.Number({ minimum: 0 })),
});

/** A result file of the suites (`rightsize-bench/1`), as JSON Schema: published as schemas/bench-result.schema.json. */
export const benchResultSchema = Strict({
  schema: Type.Literal(BENCH_SCHEMA),
  suite: Type.String({ minLength: 1 }),
  title: Type.String(),
  createdAt: IsoTimestamp,
  command: Type.String(),
  machine: machineInfoSchema,
  parameters: Type.Record(Type.String(), Type.Any()),
  cells: Type.Array(cellSchema),
  goals: Type.Array(goalSchema),
  wallMs: Type.Number({ minimum: 0 }),
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
  const errors = check(benchResultSchema, value);
  if (errors.length === 0) consistency(value as BenchResult, errors);
  return errors;
}

/** Throws a TypeError listing the problems unless `value` is a valid result file. */
export function assertBenchResult(value: unknown): asserts value is BenchResult {
  const errors = validateBenchResult(value);
  if (errors.length > 0) throw new TypeError(`not a valid ${BENCH_SCHEMA} result:\n  ${errors.slice(0, 20).join('\n  ')}${errors.length > 20 ? `\n  ... and ${errors.length - 20} more` : ''}`);
}
