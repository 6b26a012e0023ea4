/**
 * The experiment's own per-CPU accounting: what happened to each packet and
 * each flow, by phase. The workers package counts helper calls by errno;
 * this counts outcomes (a packet accepted, refused or broken), which need
 * the program's knowledge of the flow.
 *
 * Layout: one Float64Array over a SharedArrayBuffer; CPU c owns a region of
 * nPhases x N_COUNTERS doubles, padded to a multiple of 128 bytes so that no
 * two CPUs write the same cache line. A CPU writes only its own region with
 * plain adds; the main thread reads it while the run goes (progress, time
 * series: a stale read only lags) and exactly after it (the teardown returns
 * a copy through the task result).
 */
export const COUNTERS = [
  /** Packets processed. */
  'packets',
  /** Packets that found their entry, or created it (a flow's first packet). */
  'accepted',
  /** Packets of flows the map refused: the first packet, and the later ones that find nothing. */
  'refused',
  /** Packets of admitted flows that found no entry (evicted by an LRU, expired, lost). */
  'broken',
  /** First packets. */
  'newFlows',
  'flowsAdmitted',
  'flowsRefused',
  /** Admitted flows that lost their entry (counted once per flow, at its first broken packet). */
  'flowsBroken',
  /** Broken flows that had lost a refresh to -EBUSY before: the collector saw them idle and expired them (conntrack under the 'fail' policy). */
  'flowsBrokenStale',
  /** Why flows were refused (these five add up to flowsRefused). */
  'refusedE2BIG',
  'refusedEBUSY',
  'refusedENOMEM',
  'refusedOverflowFull',
  'refusedOther',
  /** Refreshes of a found entry that failed (EBUSY during a resize, or the entry vanished after the lookup). The packet still passed. */
  'refreshLost',
  /** Close packets whose delete succeeded. */
  'closes',
  /** Close packets whose delete met EBUSY: the entry stays for the garbage collector (conntrack) or leaks (sockmap). */
  'closeLeaked',
  /** Flows admitted into the overflow map (recovery strategy). */
  'overflowAdmitted',
] as const;

export type CounterName = (typeof COUNTERS)[number];
export type Counts = Record<CounterName, number>;

export const N_COUNTERS = COUNTERS.length;
export const C = Object.fromEntries(COUNTERS.map((n, i) => [n, i])) as Record<CounterName, number>;

/** Doubles per CPU region: nPhases x N_COUNTERS, rounded up to 16 doubles (128 bytes). */
export function regionDoubles(nPhases: number): number {
  return Math.ceil((nPhases * N_COUNTERS) / 16) * 16;
}

export function createTally(nCpus: number, nPhases: number): SharedArrayBuffer {
  return new SharedArrayBuffer(nCpus * regionDoubles(nPhases) * 8);
}

export function zeroCounts(): Counts {
  return Object.fromEntries(COUNTERS.map((n) => [n, 0])) as Counts;
}

export function addCounts(into: Counts, from: Counts): Counts {
  for (const n of COUNTERS) into[n] += from[n];
  return into;
}

/** One CPU's counts for one phase, read from a tally (or from a teardown's copy of its region). */
export function readCounts(region: Float64Array, phase: number): Counts {
  const out = zeroCounts();
  const at = phase * N_COUNTERS;
  COUNTERS.forEach((n, i) => (out[n] = region[at + i]!));
  return out;
}

/** CPU c's region of a tally. */
export function cpuRegion(tally: SharedArrayBuffer, cpu: number, nPhases: number): Float64Array {
  const n = regionDoubles(nPhases);
  return new Float64Array(tally, cpu * n * 8, n);
}

/** The counts over every CPU and phase, as they stand now (a live, possibly lagging read). */
export function liveTotals(tally: SharedArrayBuffer, nCpus: number, nPhases: number): Counts {
  const total = zeroCounts();
  for (let c = 0; c < nCpus; c++) {
    const r = cpuRegion(tally, c, nPhases);
    for (let p = 0; p < nPhases; p++) addCounts(total, readCounts(r, p));
  }
  return total;
}

/**
 * The virtual clock CPUs publish: word 16 x c is the tick CPU c is in (every
 * packet of an earlier tick is processed). Written with Atomics.store after
 * the map operations of the earlier ticks, read with Atomics.load by the
 * collector before it reads any entry: that order is what lets the collector
 * trust an entry's last-seen tick (see the sweep module). Word 16 x c + 1 is
 * set once CPU c has processed its whole stream. Word 16 x nCpus is bumped
 * (and notified) whenever a CPU moves on a tick or finishes: CPUs that wait
 * for the slowest one to catch up wait on it.
 */
export const CLOCK_STRIDE = 16;
export const CLOCK_DONE = 1;

export function createClock(nCpus: number): SharedArrayBuffer {
  return new SharedArrayBuffer((nCpus + 1) * CLOCK_STRIDE * 4);
}

/** Index of the clock's generation word. */
export function clockGenerationAt(nCpus: number): number {
  return nCpus * CLOCK_STRIDE;
}

export function readClock(clock: SharedArrayBuffer, nCpus: number): number[] {
  const w = new Int32Array(clock);
  return Array.from({ length: nCpus }, (_, c) => Atomics.load(w, c * CLOCK_STRIDE));
}

/**
 * The collector's pace, in workload time: word 16 x c is the tick of CPU c
 * that the last completed sweep took as "now"; word 16 x nCpus is bumped (and
 * notified) after every sweep. A CPU more than two sweep periods ahead of the
 * last sweep waits on that word, so the collector keeps the workload's pace
 * whatever share of the machine its thread gets.
 */
export function createPace(nCpus: number): SharedArrayBuffer {
  return new SharedArrayBuffer((nCpus + 1) * CLOCK_STRIDE * 4);
}

/** Index of the sweep generation word in a pace buffer. */
export function paceGenerationAt(nCpus: number): number {
  return nCpus * CLOCK_STRIDE;
}

/** packets = accepted + refused + broken, and the flow counts add up, for one set of counts. */
export function accountingHolds(c: Counts): boolean {
  return (
    c.packets === c.accepted + c.refused + c.broken &&
    c.newFlows === c.flowsAdmitted + c.flowsRefused &&
    c.flowsRefused === c.refusedE2BIG + c.refusedEBUSY + c.refusedENOMEM + c.refusedOverflowFull + c.refusedOther
  );
}
