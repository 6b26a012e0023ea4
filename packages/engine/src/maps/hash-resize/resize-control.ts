import type { NormalizedSpec } from '../../spec/map-spec.js';
import {
  ADAPTIVE_STATE_WORDS,
  DIR_NONE,
  REASONS,
  REASON_CODE,
  decideAdaptive,
  decideWatermarks,
  loadAdaptiveState,
  saveAdaptiveState,
  type ControllerSample,
  type Decision,
  type DecisionRecord,
  type Reason,
} from './controller.js';
import {
  ADAPTIVE_BYTE_OFFSET,
  CTRL_LOCK,
  DLOG,
  DLOG_SLOTS,
  DLOG_WORDS,
  EBUSY_COUNT,
  ENTRIES,
  GROWS,
  HINT,
  LOG_SEQ,
  MAX_ENTRIES,
  MIN_BUCKETS,
  PENDING_DIR,
  PENDING_FROM,
  PENDING_NB,
  PENDING_REASON,
  REASON_COUNTS,
  SHRINKS,
} from './layout.js';

/** An adaptive controller is evaluated at most this often per map (ns), unless a watermark is crossed. */
const SAMPLE_EVERY_NS = 1e6;
/** Writes a thread lets pass between two looks at the clock (adaptive controller). */
const WRITES_PER_LOOK = 16;

/**
 * Where the map's resize decisions are made and recorded. It samples the
 * map's statistics (shared words), runs the spec's controller
 * (controller.ts: pure), keeps the adaptive controller's state in shared
 * Float64 words so that every thread continues the same history (one thread
 * at a time: a try-lock, the others skip), and writes every decision that
 * begins a resize, or changes the bound, to a ring in the header, with a
 * counter per reason (holds and backoffs are counted, not logged one by one).
 */
export class ResizeControl {
  private readonly f64: Float64Array;
  private readonly logTime: Float64Array;
  private countdown = WRITES_PER_LOOK;

  constructor(
    private readonly w: Int32Array,
    private readonly spec: NormalizedSpec,
    sab: SharedArrayBuffer,
    /** [0] ns spent resizing (the map's time64). */
    private readonly time64: BigInt64Array,
    /** The most buckets the live bound allows. */
    readonly maxBuckets: () => number,
  ) {
    this.f64 = new Float64Array(sab, ADAPTIVE_BYTE_OFFSET, ADAPTIVE_STATE_WORDS);
    this.logTime = new Float64Array(sab, 0, sab.byteLength >>> 3);
  }

  get adaptive(): boolean {
    return this.spec.resize.controller === 'adaptive';
  }

  /** The live bound on entries (setMaxEntries). */
  maxEntries(): number {
    return Atomics.load(this.w, MAX_ENTRIES);
  }

  sample(buckets: number): ControllerSample {
    const w = this.w;
    const r = this.spec.resize;
    return {
      nowNs: Number(process.hrtime.bigint()),
      entries: Atomics.load(w, ENTRIES),
      buckets,
      minBuckets: MIN_BUCKETS,
      maxBuckets: this.maxBuckets(),
      growAt: r.growAt,
      shrinkAt: r.shrinkAt,
      ebusy: Atomics.load(w, EBUSY_COUNT),
      resizes: Atomics.load(w, GROWS) + Atomics.load(w, SHRINKS),
      resizeNs: Number(Atomics.load(this.time64, 0)),
      hint: Atomics.load(w, HINT),
    };
  }

  /**
   * The decision for an idle table of `buckets` buckets, or null when this
   * thread does not look now (the adaptive controller is looked at every
   * WRITES_PER_LOOK writes of a thread and at most every SAMPLE_EVERY_NS per
   * map, or at once when `force`: after a resize, a request of the resizer,
   * a watermark crossed).
   */
  decide(buckets: number, force: boolean): Decision | null {
    if (!this.adaptive) {
      // Every write asks: inside the band it costs one atomic read, no sample.
      const e = Atomics.load(this.w, ENTRIES);
      const r = this.spec.resize;
      if (e <= r.growAt * buckets && e >= r.shrinkAt * buckets) return null;
      const d = decideWatermarks(this.sample(buckets));
      return d.dir === DIR_NONE ? null : d;
    }
    if (!force && --this.countdown > 0) return null;
    this.countdown = WRITES_PER_LOOK;
    const w = this.w;
    if (Atomics.compareExchange(w, CTRL_LOCK, 0, 1) !== 0) return null;
    let d: Decision;
    try {
      const s = this.sample(buckets);
      const st = loadAdaptiveState(this.f64, 0);
      if (!force && st.lastNs !== 0 && s.nowNs - st.lastNs < SAMPLE_EVERY_NS && s.entries <= s.growAt * buckets) return null;
      const holdBefore = st.holdNs;
      d = decideAdaptive(s, st);
      if (st.holdNs > holdBefore) this.count('backoff');
      if (d.reason === 'shrink-held') this.count('shrink-held');
      saveAdaptiveState(st, this.f64, 0);
    } finally {
      Atomics.store(w, CTRL_LOCK, 0);
    }
    return d.dir === DIR_NONE ? null : d;
  }

  /** Hands a decision made for a table of `fromBuckets` buckets to the deferred resizer (Migration.beginResize takes it). */
  setPending(d: Decision, fromBuckets: number): void {
    Atomics.store(this.w, PENDING_NB, d.toBuckets);
    Atomics.store(this.w, PENDING_REASON, REASON_CODE[d.reason]);
    Atomics.store(this.w, PENDING_FROM, fromBuckets);
    Atomics.store(this.w, PENDING_DIR, d.dir);
  }

  /** Whether a decision for direction `dir`, made for the table of `buckets` buckets there is now, waits for the deferred resizer. */
  hasPending(dir: number, buckets: number): boolean {
    return Atomics.load(this.w, PENDING_DIR) === dir && Atomics.load(this.w, PENDING_FROM) === buckets;
  }

  /**
   * Under R_LOCK: the decision waiting for direction `dir`, taken (null when
   * none). One made for another table size than `buckets` is dropped: a
   * writer whose view of the table was older than a resize that finished
   * since decided from the old size (a trend-grow from 2,048 buckets carried
   * out on the 4,096 that the last grow made grew the table twice).
   */
  takePending(dir: number, buckets: number): { toBuckets: number; reason: Reason } | null {
    const w = this.w;
    if (Atomics.load(w, PENDING_DIR) !== dir) return null;
    Atomics.store(w, PENDING_DIR, 0);
    if (Atomics.load(w, PENDING_FROM) !== buckets) return null;
    return { toBuckets: Atomics.load(w, PENDING_NB), reason: REASONS[Atomics.load(w, PENDING_REASON)] ?? 'none' };
  }

  /** A program's or userspace's hint: `entries` are expected soon (0 clears it). The adaptive controller grows to fit them. */
  hint(entries: number): void {
    Atomics.store(this.w, HINT, entries);
  }

  clearHintIfMet(buckets: number): void {
    const h = Atomics.load(this.w, HINT);
    if (h !== 0 && h <= this.spec.resize.growAt * buckets) Atomics.compareExchange(this.w, HINT, h, 0);
  }

  count(reason: Reason): void {
    Atomics.add(this.w, REASON_COUNTS + REASON_CODE[reason], 1);
  }

  /** Under R_LOCK (every logged decision is): appends to the ring and counts. */
  logLocked(reason: Reason, from: number, to: number): void {
    const w = this.w;
    const seq = w[LOG_SEQ]!;
    const at = DLOG + (seq % DLOG_SLOTS) * DLOG_WORDS;
    // The slot's sequence word is cleared first and written last: a reader
    // keeps an entry only if it reads the same sequence before and after.
    Atomics.store(w, at, 0);
    w[at + 1] = REASON_CODE[reason];
    w[at + 2] = from;
    w[at + 3] = to;
    w[at + 4] = Atomics.load(w, ENTRIES);
    this.logTime[(at + 6) >>> 1] = Number(process.hrtime.bigint());
    Atomics.store(w, at, seq + 1);
    Atomics.store(w, LOG_SEQ, seq + 1);
    this.count(reason);
  }

  /** Decisions logged with a sequence number >= `since` still in the ring (the ring keeps the last DLOG_SLOTS). */
  readLog(since = 0): { next: number; lost: number; records: DecisionRecord[] } {
    const w = this.w;
    const end = Atomics.load(w, LOG_SEQ);
    const start = Math.max(since, end - DLOG_SLOTS);
    const records: DecisionRecord[] = [];
    for (let seq = start; seq < end; seq++) {
      const at = DLOG + (seq % DLOG_SLOTS) * DLOG_WORDS;
      if (Atomics.load(w, at) !== seq + 1) continue;
      const rec: DecisionRecord = {
        seq,
        reason: REASONS[w[at + 1]!] ?? 'none',
        from: w[at + 2]!,
        to: w[at + 3]!,
        entries: w[at + 4]!,
        timeNs: this.logTime[(at + 6) >>> 1]!,
      };
      if (Atomics.load(w, at) === seq + 1) records.push(rec);
    }
    return { next: end, lost: Math.max(0, start - since), records };
  }

  /** Decisions by reason, since the map's creation. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    REASONS.forEach((r, i) => {
      if (r !== 'none') out[r] = Atomics.load(this.w, REASON_COUNTS + i);
    });
    return out;
  }
}
