import { Errno, attachMap, type BpfMap, type MapHandle } from '@rightsize/engine';
import { CLOCK_STRIDE, paceGenerationAt } from '../accounting/tally.js';
import { CT_CPU, CT_LAST_SEEN } from '../programs/entries.js';

/** What the runner passes to the collector (structured-cloneable). */
export interface SweepParams {
  clock: SharedArrayBuffer;
  nCpus: number;
  idleTimeoutTicks: number;
  /** The pace words (see createPace) and the sweep period in ticks. */
  pace: SharedArrayBuffer;
  everyTicks: number;
  /** The recovery strategy's overflow map and its admission count (decremented for every entry removed from it). */
  overflow: { handle: MapHandle; counter: SharedArrayBuffer } | null;
  /** Float64 words the collector adds to: see GC_STATS. */
  stats: SharedArrayBuffer;
}

/** The collector's counters, in `stats`. */
export const GC_STATS = ['sweeps', 'expired', 'expiredOverflow', 'deleteEbusy', 'walkMs'] as const;
const G_SWEEPS = 0;
const G_EXPIRED = 1;
const G_EXPIRED_OVERFLOW = 2;
const G_EBUSY = 3;
const G_WALK_MS = 4;

export function createGcStats(): SharedArrayBuffer {
  return new SharedArrayBuffer(GC_STATS.length * 8);
}

export function readGcStats(sab: SharedArrayBuffer): Record<(typeof GC_STATS)[number], number> {
  const f = new Float64Array(sab);
  return Object.fromEntries(GC_STATS.map((n, i) => [n, f[i]!])) as Record<(typeof GC_STATS)[number], number>;
}

const BATCH = 4096;

/** The overflow map attached in this (agent) thread, by map id: attached once, closed when a new run brings another. */
let overflowMap: { id: string; map: BpfMap } | null = null;

function overflowOf(h: MapHandle): BpfMap {
  if (overflowMap?.id !== h.id) {
    overflowMap?.map.close();
    overflowMap = { id: h.id, map: attachMap(h) };
  }
  return overflowMap.map;
}

/**
 * The conntrack garbage collector, run by the agent thread while the CPUs
 * work, once every gc.everyTicks of workload time: removes every entry idle
 * for more than idleTimeoutTicks on its CPU's clock.
 *
 * Why it never removes a live flow: it loads every CPU's published tick
 * first, then walks the entries. A CPU publishes tick t only after the map
 * operations of every earlier packet, and a live flow's next packet comes at
 * most maxInterval <= idleTimeoutTicks ticks after its last one. So an entry
 * whose last-seen tick L satisfies L + timeout < now(cpu) belongs to a flow
 * whose next packet, if any, came before now(cpu): it was processed before
 * the tick was loaded, and its refresh would show in L. Only refreshes that
 * failed (-EBUSY under the 'fail' policy) can make a live flow look idle; and
 * since the map API has no compare-and-delete, a refresh that succeeds
 * between this read and the delete does not save the entry. The programs
 * mark such flows, and the report counts the broken ones among them.
 */
export default function sweep(map: BpfMap, params: SweepParams, _nowNs: number): number {
  const clock = new Int32Array(params.clock);
  const pace = new Int32Array(params.pace);
  const now = new Int32Array(params.nCpus);
  // The agent calls this every millisecond; a sweep is due once a CPU's clock
  // is a period past the tick it had at the last sweep.
  let due = false;
  for (let c = 0; c < params.nCpus; c++) {
    now[c] = Atomics.load(clock, c * CLOCK_STRIDE);
    if (now[c]! >= Atomics.load(pace, c * CLOCK_STRIDE) + params.everyTicks) due = true;
  }
  if (!due) return 0;
  const stats = new Float64Array(params.stats);
  const t0 = performance.now();
  let removed = sweepMap(map, now, params.idleTimeoutTicks, stats, null);
  stats[G_EXPIRED] += removed;
  if (params.overflow) {
    const counter = new Int32Array(params.overflow.counter);
    const n = sweepMap(overflowOf(params.overflow.handle), now, params.idleTimeoutTicks, stats, counter);
    stats[G_EXPIRED_OVERFLOW] += n;
    removed += n;
  }
  stats[G_SWEEPS]++;
  stats[G_WALK_MS] += performance.now() - t0;
  // Publish the ticks this sweep covered, then wake the CPUs that wait for it.
  for (let c = 0; c < params.nCpus; c++) Atomics.store(pace, c * CLOCK_STRIDE, now[c]!);
  const gen = paceGenerationAt(params.nCpus);
  Atomics.add(pace, gen, 1);
  Atomics.notify(pace, gen);
  return removed;
}

function sweepMap(map: BpfMap, now: Int32Array, timeout: number, stats: Float64Array, counter: Int32Array | null): number {
  let removed = 0;
  let cursor: number | null = null;
  let batch = BATCH;
  for (;;) {
    const b = map.lookupBatch(cursor, batch);
    if (b.err === -Errno.ENOSPC) {
      // One bucket holds more entries than the batch: take it whole next time.
      batch *= 2;
      continue;
    }
    for (let i = 0; i < b.count; i++) {
      const v = b.values[i]!;
      const cpu = u32le(v, CT_CPU * 4);
      const last = u32le(v, CT_LAST_SEEN * 4);
      if (cpu >= now.length || last + timeout >= now[cpu]!) continue;
      const d = map.delete(b.keys[i]!);
      if (d === 0) {
        removed++;
        if (counter) Atomics.sub(counter, 0, 1);
      } else if (d === -Errno.EBUSY) stats[G_EBUSY]++;
    }
    if (b.cursor === null || b.err !== 0) return removed;
    cursor = b.cursor;
  }
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
