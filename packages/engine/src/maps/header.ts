import { LINE_WORDS, type SegmentControl } from '../memory/segments.js';
import type { LockOwners } from '../locks/bucket-lock.js';
import { DOMAIN_SLOTS } from '../rcu/domain.js';

/**
 * The map header: one small SharedArrayBuffer every map has, laid out in
 * cache lines so that words written by different CPUs do not share one.
 *
 *   line 0: [0] magic, [1] destroyed, [2] seed, [3] domain deaths this map
 *           was last repaired for, [4] the repair lock, [5] locks taken over
 *           from dead owners, [6] redo records replayed, [7] elements given
 *           back by repairs, [8] repairs run (see recovery/log.ts; written
 *           only after a death), [10..12] segment publication lock,
 *           publication counter and want signal (memory/segments.ts)
 *   lines 1..3: element allocator control (hash types)
 *   line 4: bytes held (BigInt64: tables can pass 2 GiB)
 *   lines 5..39: the map type's own words (TYPE_BASE)
 *   lines 40..103: the recovery log directory, one word per quiescence slot
 *           (bytes of the slot's record segment, 0 while it has none)
 */
export const MAGIC = 0x52535a31; // "RSZ1"
const W_MAGIC = 0;
/** Nonzero once the map was destroyed (hot paths read it with a plain load: see MapBase.headerWords). */
export const W_DESTROYED = 1;
const W_SEED = 2;
export const W_DEATHS_SEEN = 3;
export const W_REPAIR_LOCK = 4;
export const W_LOCKS_RECOVERED = 5;
export const W_RECORDS_REPLAYED = 6;
export const W_ELEMENTS_RECLAIMED = 7;
export const W_REPAIRS = 8;
/**
 * The map's SegmentControl: [10] publication lock, [11] publication counter,
 * [12] want signal, bumped by a thread attaching over a gap (see
 * SegmentStore.askForGap). Threads compare the signal with a plain read in
 * their map operations and drain their channel (answering) when it moved: a
 * thread in a synchronous loop never runs its onmessage handler.
 */
const W_SEGMENTS = 10;
/** The want signal of the segment control (memory/segments.ts: lock, counter, then this word), read on the hot paths through MapBase.headerWords. */
export const W_SEGMENT_WANTS = W_SEGMENTS + 2;
export const ALLOC_AT = LINE_WORDS;
const BYTES_LINE = 4;
export const TYPE_BASE = 5 * LINE_WORDS;
/** First word of the recovery log directory (DOMAIN_SLOTS words). */
export const LOG_DIR_AT = 40 * LINE_WORDS;
export const HEADER_LINES = 40 + DOMAIN_SLOTS / LINE_WORDS;

export class MapHeader {
  readonly words: Int32Array;
  private readonly bytes64: BigInt64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== HEADER_LINES * LINE_WORDS * 4) {
      throw new TypeError('rightsize: not a map header (was this handle made by createMap?)');
    }
    this.words = new Int32Array(sab);
    this.bytes64 = new BigInt64Array(sab, BYTES_LINE * LINE_WORDS * 4, 1);
    if (Atomics.load(this.words, W_MAGIC) !== MAGIC) throw new TypeError('rightsize: map header has no magic (corrupt handle)');
  }

  static create(seed: number): MapHeader {
    const sab = new SharedArrayBuffer(HEADER_LINES * LINE_WORDS * 4);
    const w = new Int32Array(sab);
    w[W_MAGIC] = MAGIC;
    w[W_SEED] = seed | 0;
    return new MapHeader(sab);
  }

  /** The words through which the map's segments are published (see memory/segments.ts). */
  segmentControl(owners: LockOwners): SegmentControl {
    return { words: this.words, at: W_SEGMENTS, owners };
  }

  get seed(): number {
    return this.words[W_SEED]! >>> 0;
  }

  /**
   * The seed as stored, an int32, for the U32 hash on the lookup path: the
   * hash uses the seed modulo 2^32 (same hash as `seed`), and a field holding
   * a uint32 above 2^31 is a boxed double that every lookup would unbox.
   */
  get seed32(): number {
    return this.words[W_SEED]!;
  }

  /** Accounts memory the map took (positive) or handed back (negative). */
  addBytes(n: number): void {
    Atomics.add(this.bytes64, 0, BigInt(n));
  }

  heldBytes(): number {
    return Number(Atomics.load(this.bytes64, 0));
  }

  get destroyed(): boolean {
    return Atomics.load(this.words, W_DESTROYED) !== 0;
  }

  markDestroyed(): void {
    Atomics.store(this.words, W_DESTROYED, 1);
  }
}
