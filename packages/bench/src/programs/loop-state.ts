import { errnoName } from '@rightsize/engine';
import { threadCpuNs } from './cpu-time.js';
import type { LoopParams, LoopTally } from './loop-params.js';

/** Errno slots counted per CPU (ENOTSUPP, 524, is the largest errno the engine returns). */
const ERRNO_SLOTS = 1024;

/**
 * A CPU's position in the loop and its counts. The hot loops live in each
 * program module (so each gets its own JIT feedback, see programs/url.ts);
 * what they share is this plain state, touched once per batch.
 */
export interface LoopState {
  readonly keys: Uint32Array;
  readonly loop: LoopParams['loop'];
  readonly mixer: number;
  readonly batch: number;
  readonly base: number;
  /** Next index into keys. */
  pos: number;
  /** Iterations since the last update (mixer loop). */
  j: number;
  lookups: number;
  misses: number;
  updates: number;
  /** Failed updates by -errno. */
  readonly failed: Float64Array;
  /** This thread's CPU time when the counts restarted (null where it cannot be read). */
  cpuNs0: number | null;
}

/**
 * Every CPU walks the whole key sequence, starting at its own offset
 * (cpu * n / nCpus): the working set of a CPU does not shrink when CPUs are
 * added, and two CPUs never update the same key at the same moment.
 */
export function openLoop(p: LoopParams, cpu: number, nCpus: number): LoopState {
  const keys = new Uint32Array(p.keys);
  if (keys.length === 0) throw new RangeError('params.keys must hold at least one key');
  if (p.loop !== 'lookup' && p.loop !== 'mixer' && p.loop !== 'update') throw new TypeError(`params.loop must be lookup, mixer or update, got ${String(p.loop)}`);
  if (!Number.isInteger(p.batch) || p.batch < 1) throw new RangeError(`params.batch must be a positive integer, got ${p.batch}`);
  if (p.loop === 'mixer' && (!Number.isInteger(p.mixer) || p.mixer < 1)) throw new RangeError(`params.mixer must be a positive integer, got ${p.mixer}`);
  return {
    keys,
    loop: p.loop,
    mixer: p.mixer,
    batch: p.batch,
    base: p.keyBase,
    pos: Math.floor((cpu * keys.length) / nCpus),
    j: 0,
    lookups: 0,
    misses: 0,
    updates: 0,
    failed: new Float64Array(ERRNO_SLOTS),
    cpuNs0: null,
  };
}

/**
 * Events are numbered from 0 in the warm-up and again from 0 after the
 * barrier: counting restarts at event 0, so the tally covers the measured
 * events only.
 */
export function restartCounts(s: LoopState): void {
  s.lookups = 0;
  s.misses = 0;
  s.updates = 0;
  s.failed.fill(0);
  s.cpuNs0 = threadCpuNs();
}

/** The index a failed update counts in. */
export function failSlot(r: number): number {
  return r < -(ERRNO_SLOTS - 1) ? ERRNO_SLOTS - 1 : -r;
}

export function tallyOf(s: LoopState): LoopTally {
  const results: Record<string, number> = {};
  let failed = 0;
  for (let e = 1; e < ERRNO_SLOTS; e++) {
    const n = s.failed[e]!;
    if (n === 0) continue;
    results[errnoName(-e)] = n;
    failed += n;
  }
  if (s.updates - failed > 0) results.OK = s.updates - failed;
  const now = s.cpuNs0 === null ? null : threadCpuNs();
  return { lookups: s.lookups, misses: s.misses, updates: s.updates, results, cpuNs: now === null || s.cpuNs0 === null ? null : now - s.cpuNs0 };
}
