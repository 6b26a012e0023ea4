import { Errno, HashResizeMap, type BpfMap } from '@rightsize/engine';
import { H_ATOMIC_ADD, H_DELETE, H_DELETE_U32, H_GROW, H_LOOKUP, H_LOOKUP_AND_DELETE, H_LOOKUP_U32, H_RESIZE_HINT, H_SHRINK, H_UPDATE, H_UPDATE_U32, resultSlot } from './helpers.js';
import { LATENCY_BUCKETS, bucketOf } from './histogram.js';
import type { ProgramContext } from './program.js';
import { COUNTS_AT, C_STOP, HIST_AT, N_RESULTS, W_SAMPLED, W_TIMER } from './run-buffer.js';

/** Effectively "never": the countdown when latency sampling is off (reset, never reached in a run). */
const NEVER = 0x3fffffff;

export interface ContextInit<P> {
  cpu: number;
  nCpus: number;
  params: P;
  maps: Record<string, BpfMap>;
  /** This CPU's stats region. */
  region: Float64Array;
  /** The run's control words (STOP). */
  control: Int32Array;
  /** The run's epoch (process.hrtime.bigint()). */
  epoch: bigint;
  /** Time one helper call in this many (0: never). */
  latencySampleEvery: number;
}

/**
 * The helpers of one CPU. Each call runs the engine operation, then adds one
 * to the slot [helper][result] of this CPU's stats region: a plain add into
 * preallocated shared memory, no allocation. One call in `latencySampleEvery`
 * is timed with `performance.now()` (a double with ns resolution on Node; the
 * alternative, `process.hrtime.bigint()`, costs the same ~50 ns here and
 * returns a BigInt); the time goes into the helper's log2 histogram.
 *
 * Node 20 has no allocation-free clock: both clocks leave a small young-
 * generation object per read. So an untimed helper call allocates nothing, a
 * timed one (1 in latencySampleEvery) a few bytes, and `ktimeGetNs()` too.
 */
export class CpuContext<P = Record<string, unknown>> implements ProgramContext<P> {
  readonly cpu: number;
  readonly nCpus: number;
  readonly params: P;
  readonly maps: Readonly<Record<string, BpfMap>>;
  private readonly region: Float64Array;
  private readonly control: Int32Array;
  private readonly epoch: bigint;
  private readonly every: number;
  private left: number;
  /** What two back-to-back clock reads measure, in ms: subtracted from each sample. */
  private readonly timerMs: number;

  constructor(init: ContextInit<P>) {
    this.cpu = init.cpu;
    this.nCpus = init.nCpus;
    this.params = init.params;
    this.maps = Object.freeze({ ...init.maps });
    this.region = init.region;
    this.control = init.control;
    this.epoch = init.epoch;
    this.every = init.latencySampleEvery;
    this.left = this.every > 0 ? this.every : NEVER;
    this.timerMs = timerOverheadMs();
    this.region[W_TIMER] = Math.round(this.timerMs * 1e6);
  }

  /** Zeroes this CPU's counters and histograms (after the warm-up) and restarts the sampling countdown. */
  resetCounters(): void {
    this.region.fill(0, COUNTS_AT);
    this.region[W_SAMPLED] = 0;
    this.left = this.every > 0 ? this.every : NEVER;
  }

  private count(h: number, r: number): number {
    this.region[COUNTS_AT + h * N_RESULTS + resultSlot(r)]++;
    return r;
  }

  /** Ends a timed call that started at `t0` (ms) and counts it. */
  private timed(h: number, r: number, t0: number): number {
    const ns = (performance.now() - t0 - this.timerMs) * 1e6;
    if (this.every > 0) {
      this.region[HIST_AT + h * LATENCY_BUCKETS + bucketOf(ns > 0 ? ns : 0)]++;
      this.region[W_SAMPLED]++;
      this.left = this.every;
    } else {
      this.left = NEVER;
    }
    return this.count(h, r);
  }

  lookup(map: BpfMap, key: Uint8Array, out: Uint8Array): number {
    if (--this.left !== 0) return this.count(H_LOOKUP, map.lookupInto(key, out));
    const t0 = performance.now();
    return this.timed(H_LOOKUP, map.lookupInto(key, out), t0);
  }

  lookupU32(map: BpfMap, key: number, out: Uint8Array): number {
    if (--this.left !== 0) return this.count(H_LOOKUP_U32, map.lookupU32Into(key, out));
    const t0 = performance.now();
    return this.timed(H_LOOKUP_U32, map.lookupU32Into(key, out), t0);
  }

  update(map: BpfMap, key: Uint8Array, value: Uint8Array, flags: number): number {
    if (--this.left !== 0) return this.count(H_UPDATE, map.update(key, value, flags));
    const t0 = performance.now();
    return this.timed(H_UPDATE, map.update(key, value, flags), t0);
  }

  updateU32(map: BpfMap, key: number, value: Uint8Array, flags: number): number {
    if (--this.left !== 0) return this.count(H_UPDATE_U32, map.updateU32(key, value, flags));
    const t0 = performance.now();
    return this.timed(H_UPDATE_U32, map.updateU32(key, value, flags), t0);
  }

  delete(map: BpfMap, key: Uint8Array): number {
    if (--this.left !== 0) return this.count(H_DELETE, map.delete(key));
    const t0 = performance.now();
    return this.timed(H_DELETE, map.delete(key), t0);
  }

  deleteU32(map: BpfMap, key: number): number {
    if (--this.left !== 0) return this.count(H_DELETE_U32, map.deleteU32(key));
    const t0 = performance.now();
    return this.timed(H_DELETE_U32, map.deleteU32(key), t0);
  }

  lookupAndDelete(map: BpfMap, key: Uint8Array, out: Uint8Array): number {
    if (--this.left !== 0) return this.count(H_LOOKUP_AND_DELETE, map.lookupAndDeleteInto(key, out));
    const t0 = performance.now();
    return this.timed(H_LOOKUP_AND_DELETE, map.lookupAndDeleteInto(key, out), t0);
  }

  atomicAdd(map: BpfMap, key: Uint8Array, byteOffset: number, delta: number): number {
    if (--this.left !== 0) return this.count(H_ATOMIC_ADD, map.atomicAdd(key, byteOffset, delta));
    const t0 = performance.now();
    return this.timed(H_ATOMIC_ADD, map.atomicAdd(key, byteOffset, delta), t0);
  }

  grow(map: BpfMap): number {
    if (--this.left !== 0) return this.count(H_GROW, map.grow());
    const t0 = performance.now();
    return this.timed(H_GROW, map.grow(), t0);
  }

  shrink(map: BpfMap): number {
    if (--this.left !== 0) return this.count(H_SHRINK, map.shrink());
    const t0 = performance.now();
    return this.timed(H_SHRINK, map.shrink(), t0);
  }

  resizeHint(map: BpfMap, entries: number): number {
    if (--this.left !== 0) return this.count(H_RESIZE_HINT, hintOf(map, entries));
    const t0 = performance.now();
    return this.timed(H_RESIZE_HINT, hintOf(map, entries), t0);
  }

  smpProcessorId(): number {
    return this.cpu;
  }

  ktimeGetNs(): number {
    return Number(process.hrtime.bigint() - this.epoch);
  }

  stop(): void {
    Atomics.store(this.control, C_STOP, 1);
  }
}

/**
 * The smallest interval two back-to-back `performance.now()` calls measure,
 * in ms: the clock's own cost inside every timed call, which a sample
 * subtracts so that a histogram shows the helper, not the timer.
 */
function timerOverheadMs(): number {
  // Enough rounds for the loop to be optimized: the first reads of a cold
  // worker cost several times what they cost in the hot path.
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20_000; i++) {
    const a = performance.now();
    const b = performance.now();
    if (b - a < min) min = b - a;
  }
  return min;
}

/** The resizeHint helper: hash_resize takes the hint (its adaptive controller acts on it); other maps have no such thing. */
function hintOf(map: BpfMap, entries: number): number {
  if (!(map instanceof HashResizeMap)) return -Errno.EINVAL;
  map.resizeHint(entries);
  return 0;
}
