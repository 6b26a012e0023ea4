import type { EbusyPolicy } from '@rightsize/engine';
import type { KeyOrder } from '../harness/keys.js';

/** 'lookup': lookups only; a number n: every n-th iteration also updates. */
export type Mixer = 'lookup' | number;

/** Every knob a suite reads; each suite fills in its own defaults (quick or full) and uses the ones it needs. */
export interface SuiteOptions {
  quick: boolean;
  /** Entries in each map (and keys the loop walks). */
  entries: number[];
  /** Value sizes in bytes (keys are 4 bytes). */
  valueSizes: number[];
  mixers: Mixer[];
  /** CPU counts (each gets its own Machine). */
  cpus: number[];
  repetitions: number;
  /** Timed length of one repetition. */
  durationMs: number;
  /** Loop iterations per CPU before the barrier, not timed. */
  warmupOps: number;
  /** Loop iterations per event. */
  batch: number;
  /** Seed of the key orders. */
  seed: number;
  /** Key orders (the arrays suite walks both). */
  orders: KeyOrder[];
  /** EBUSY policies (the resize suite). */
  policies: EbusyPolicy[];
  /** Only these map subjects (references and the baseline always run); null for all. */
  subjects: string[] | null;
}

export const MAX_REPETITIONS = 1000;

/** 1..n: every CPU count up to the machine's. */
export function cpuRange(n: number): number[] {
  return Array.from({ length: Math.max(1, n) }, (_, i) => i + 1);
}

function requireList<T>(field: string, v: T[], each: (x: T) => boolean, what: string): void {
  if (!Array.isArray(v) || v.length === 0) throw new TypeError(`${field} must be a non-empty list`);
  for (const x of v) if (!each(x)) throw new RangeError(`${field}: ${JSON.stringify(x)} is not ${what}`);
}

const posInt = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 1;

/** Checks a complete set of options; a bad one throws a TypeError/RangeError naming the option. */
export function validateOptions(o: SuiteOptions): SuiteOptions {
  requireList('entries', o.entries, (x) => posInt(x) && x >= 16 && x <= 2 ** 26, 'an entry count in 16..2^26');
  requireList('valueSizes', o.valueSizes, (x) => posInt(x) && x <= 4096, 'a value size in 1..4096 bytes');
  requireList('mixers', o.mixers, (x) => x === 'lookup' || posInt(x), "'lookup' or a positive integer");
  requireList('cpus', o.cpus, (x) => posInt(x) && x <= 128, 'a CPU count in 1..128');
  requireList('orders', o.orders, (x) => x === 'sequential' || x === 'shuffled', 'sequential or shuffled');
  requireList('policies', o.policies, (x) => x === 'fail' || x === 'retry' || x === 'help', 'fail, retry or help');
  if (!posInt(o.repetitions) || o.repetitions > MAX_REPETITIONS) throw new RangeError(`repetitions must be in 1..${MAX_REPETITIONS}, got ${o.repetitions}`);
  if (typeof o.durationMs !== 'number' || !(o.durationMs >= 1) || o.durationMs > 600_000) throw new RangeError(`durationMs must be in 1..600000, got ${o.durationMs}`);
  if (!Number.isInteger(o.warmupOps) || o.warmupOps < 0) throw new RangeError(`warmupOps must be a non-negative integer, got ${o.warmupOps}`);
  if (!posInt(o.batch) || o.batch > 1 << 20) throw new RangeError(`batch must be in 1..2^20, got ${o.batch}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new RangeError(`seed must be a u32, got ${o.seed}`);
  if (o.subjects !== null && (!Array.isArray(o.subjects) || o.subjects.length === 0)) throw new TypeError('subjects must be null or a non-empty list');
  return o;
}

/** The loop a mixer value stands for. */
export function loopOf(m: Mixer): { loop: 'lookup' | 'mixer'; mixer: number } {
  return m === 'lookup' ? { loop: 'lookup', mixer: 0 } : { loop: 'mixer', mixer: m };
}

export function mixerLabel(m: Mixer): string {
  return m === 'lookup' ? 'lookups only' : `mixer ${m}`;
}
