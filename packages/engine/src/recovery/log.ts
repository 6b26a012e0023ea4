/**
 * # Surviving a CPU that dies at any moment
 *
 * A CPU worker can be terminated anywhere: holding a bucket lock, halfway
 * through copying a value, between taking an element and linking it,
 * holding a hash_resize resize lock, in the middle of a migration batch. The
 * other CPUs must not hang, nothing committed may be lost, and the write in
 * flight must end up applied whole or not at all. Four pieces do it.
 *
 * 1. Owners that cannot be mistaken for one another. A lock word holds its
 *    owner's id: the thread's quiescence slot plus one, and the slot's
 *    generation (rcu/domain.ts). When a dead CPU's slot is reused by a new
 *    worker, the generation moves, so a lock the dead incarnation still holds
 *    is still recognised as dead-owned (and not as the new worker's own).
 *    `lock()` takes such a lock over and returns RECOVERED (bounded waits:
 *    a waiter notices the dead owner within one wait slice).
 *
 * 2. A redo record per owner for every in-place value write (this module).
 *    Values are rewritten in place under the bucket (or slot) lock, inside
 *    the seqlock write section; a death mid-copy would leave a torn value
 *    and an odd sequence. So before it opens the write section, the writer
 *    copies the new bytes into its own record in the map's memory and names
 *    the target (area, lock index, element, offset, length), then marks the
 *    record ACTIVE; it marks it IDLE again after closing the section. The
 *    seqlock's opening Atomics.add is the fence that publishes the record
 *    before the first byte of the value changes. Whoever takes the lock over
 *    from a dead owner replays every ACTIVE record that names that lock (the
 *    copy is idempotent: replaying a write that had finished rewrites the
 *    same bytes), inside a write section of its own, and makes the sequence
 *    even again. So the value is the new one, whole: the write is applied.
 *    A death before the record is ACTIVE changed nothing: not applied.
 *    Records live in one small segment per (map, thread slot), allocated on
 *    the slot's first write; the header's log directory says which slots
 *    have one. They are per-writer overhead, not entry memory: stats().bytes
 *    (what the right-sizing experiments plot against the entries) leaves
 *    them out, and MapBase.recoveryCounts() reports them as logBytes. A record is reused only once
 *    it is IDLE: a new incarnation of a slot that finds its predecessor's
 *    record still ACTIVE first takes the lock it names (which replays it),
 *    before taking any lock of its own, so no lock order is ever inverted.
 *    The same record carries a hash_resize migration claim (the batch of
 *    old buckets its owner is migrating), so that the next migrator can
 *    finish a batch whose claimer died.
 *
 * 3. A repair of the whole map after every death (MapBase.repair). Some
 *    damage is not tied to a lock: an element taken from the pool by a CPU
 *    that died before linking it (LRU pops happen before the bucket lock),
 *    a counter bumped before the death and never put back, an LRU list
 *    half relinked. The domain counts deaths; each map remembers the count
 *    it last repaired for, and its next write after a death repairs it:
 *    under the repair lock it takes every lock of the map in the lock order
 *    (LRU lists, then buckets, then the allocator), which takes over and
 *    replays whatever dead owners held, then rebuilds what can be derived
 *    from the chains: the free list (every element neither linked nor in
 *    flight in a live CPU), the live counts, the LRU lists. Holding every
 *    bucket lock means no live CPU is between taking an element and linking
 *    it (hash types take elements under the bucket lock; an LRU pop in
 *    flight carries its popper's owner id, so only a dead popper's element
 *    is reclaimed). The cost is one walk of the map per death, never on the
 *    hot path.
 *
 * 4. Resize state that heals (hash_resize). The table switch is a seqlock
 *    (EPOCH) written under R_LOCK; whoever takes R_LOCK over from a dead
 *    owner completes or rolls back the half-written switch (EPOCH even
 *    again, CUR and FUT consistent) and recounts the bytes the map holds. A
 *    migrator records its claimed batch in its record before it advances
 *    the cursor; a migrator that finds nothing left to claim takes over a
 *    batch whose claimer died (migrating a bucket twice is a no-op: MOVED is
 *    checked under its lock). A relink cut short (some elements of an old
 *    bucket in their new buckets, the rest still in the old chain) is
 *    finished by whoever takes the old bucket's lock over
 *    (Migration.finishRelink). The switch to the new table happens only when
 *    every old bucket is MOVED (checked under R_LOCK), never on a count, so
 *    no death can make it finish early. The deferred resizer thread dies
 *    with the thread that started it (nested workers end with their parent):
 *    the OS liveness check finds it (rcu/liveness.ts), and Resizer.reap marks
 *    it dead once its starter is, where the OS cannot tell.
 *
 * Hot path cost: an update that rewrites an existing value of more than 4
 * bytes also copies it into the record (word by word) and writes seven
 * words (a 4-byte value is one Int32 store, which nothing can tear: no
 * record); an update's end reads two words (the domain's death count, the
 * map's) to know whether a repair is due. Figures: docs/reliability.md.
 */
import { LOG_DIR_AT, type MapHeader } from '../maps/header.js';
import { copyBytes } from '../memory/byte-copy.js';
import { LINE_WORDS, type SegmentStore } from '../memory/segments.js';
import { WordCopier } from '../memory/word-copy.js';
import { DOMAIN_SLOTS, OWNER_SLOT_MASK, type QuiescenceDomain } from '../rcu/domain.js';
import { recoveryStep } from './faults.js';

/** Record words (Int32). */
const R_STATE = 0;
const R_OWNER = 1;
const R_AREA = 2;
const R_INDEX = 3;
const R_ELEM = 4;
const R_OFF = 5;
const R_LEN = 6;
const R_CLAIM_AREA = 8;
const R_CLAIM_START = 9;
const R_CLAIM_END = 10;
const R_CLAIM_OWNER = 11;
/** The redo bytes start on the record's second cache line. */
const DATA_BYTE_OFF = LINE_WORDS * 4;

const IDLE = 0;
const ACTIVE = 1;

/** Segment id of slot `slot`'s log: negative, clear of every map type's own ids. */
function logSegmentId(slot: number): number {
  return -1 - slot;
}

/** One thread slot's record in one map. */
export class LogRecord {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
  /** Owner id of the write being prepared (this thread's, set by RecoveryLog.prepare). */
  writer = 0;
  private readonly copier = new WordCopier();
  constructor(
    readonly slot: number,
    sab: SharedArrayBuffer,
  ) {
    this.words = new Int32Array(sab);
    this.bytes = new Uint8Array(sab);
  }

  get owner(): number {
    return this.words[R_OWNER]!;
  }
  get area(): number {
    return this.words[R_AREA]!;
  }
  get index(): number {
    return this.words[R_INDEX]!;
  }
  get elem(): number {
    return this.words[R_ELEM]!;
  }
  get offset(): number {
    return this.words[R_OFF]!;
  }
  get length(): number {
    return this.words[R_LEN]!;
  }

  /**
   * Records a write of `len` bytes of `src[srcOff..]` at byte `off` of the
   * value of (`area`, lock `index`, element `elem`), then marks the record
   * ACTIVE. Called under the lock, before the seqlock opens (its Atomics.add
   * publishes the record before the value changes).
   */
  begin(area: number, index: number, elem: number, off: number, src: Uint8Array, srcOff: number, len: number): void {
    const w = this.words;
    w[R_OWNER] = this.writer;
    w[R_AREA] = area;
    w[R_INDEX] = index;
    w[R_ELEM] = elem;
    w[R_OFF] = off;
    w[R_LEN] = len;
    this.copier.copy(src, srcOff, w, this.bytes, DATA_BYTE_OFF, len);
    w[R_STATE] = ACTIVE;
  }

  /** The write is complete (after the seqlock closed, before the unlock). */
  end(): void {
    this.words[R_STATE] = IDLE;
  }

  /** Copies the recorded bytes to `dst[dstOff..]` (the replay of the write). */
  replayInto(dst: Uint8Array, dstOff: number): void {
    copyBytes(this.bytes, DATA_BYTE_OFF, dst, dstOff, this.length);
  }

  // ---- migration claims (hash_resize), written under R_LOCK ----

  claim(owner: number, area: number, start: number, end: number): void {
    const w = this.words;
    w[R_CLAIM_OWNER] = owner;
    w[R_CLAIM_START] = start;
    w[R_CLAIM_END] = end;
    w[R_CLAIM_AREA] = area;
  }

  unclaim(): void {
    this.words[R_CLAIM_AREA] = 0;
  }

  get claimArea(): number {
    return this.words[R_CLAIM_AREA]!;
  }
  get claimOwner(): number {
    return this.words[R_CLAIM_OWNER]!;
  }
  get claimStart(): number {
    return this.words[R_CLAIM_START]!;
  }
  get claimEnd(): number {
    return this.words[R_CLAIM_END]!;
  }
}

/** Bytes of one record segment for values of `valueBytes`. */
export function logRecordBytes(valueBytes: number): number {
  return DATA_BYTE_OFF + ((valueBytes + 7) & ~7);
}

/**
 * A map's records, as this thread sees them (one object per map attachment).
 * `settle` is the map's way to finish a record left ACTIVE by a dead
 * predecessor of the calling thread's slot: take (and release) the lock the
 * record names, which replays it.
 */
export class RecoveryLog {
  /** Records by slot (dense: a null per slot not opened yet in this thread). */
  private readonly views: (LogRecord | null)[] = new Array<LogRecord | null>(DOMAIN_SLOTS).fill(null);
  private readonly dir: Int32Array;

  constructor(
    header: MapHeader,
    private readonly segments: SegmentStore,
    private readonly domain: QuiescenceDomain,
    /** The largest write a record must hold (the map's userspace value size). */
    readonly valueBytes: number,
    private readonly settle: (rec: LogRecord) => void,
  ) {
    this.dir = header.words;
  }

  /**
   * The record of the calling thread (`owner` is its lock owner id), ready for
   * a new write: called before taking any lock. A record its slot's dead
   * predecessor left ACTIVE is settled first.
   */
  prepare(owner: number): LogRecord {
    const slot = (owner & OWNER_SLOT_MASK) - 1;
    const rec = this.views[slot] ?? this.open(slot, true)!;
    if (rec.words[R_STATE] !== IDLE && rec.words[R_OWNER] !== owner) this.settleForeign(rec);
    rec.writer = owner;
    return rec;
  }

  private settleForeign(rec: LogRecord): void {
    this.settle(rec);
    // The lock was taken and released: its recovery replayed the record. If
    // the area it names is gone (a table already retired), nothing is left
    // to replay into.
    rec.end();
  }

  /**
   * Replays, with `apply`, every ACTIVE record of a dead owner naming lock
   * `index` of `area`, and marks it IDLE. Called by the new holder of that
   * lock right after taking it over. Returns how many it replayed.
   */
  replay(area: number, index: number, apply: (rec: LogRecord) => void): number {
    let n = 0;
    for (let slot = 0; slot < DOMAIN_SLOTS; slot++) {
      const rec = this.existing(slot);
      if (rec === null || rec.words[R_STATE] !== ACTIVE) continue;
      if (rec.area !== area || rec.index !== index || !this.domain.isDeadOwner(rec.owner)) continue;
      apply(rec);
      rec.end();
      n++;
    }
    return n;
  }

  /**
   * A claim of migration batch on `area` whose claimer is dead, or null. A
   * new incarnation of a dead claimer's slot shares its record: it must take
   * that claim over (foreignClaim) before it writes a claim of its own.
   */
  deadClaim(area: number): LogRecord | null {
    for (let slot = 0; slot < DOMAIN_SLOTS; slot++) {
      const rec = this.existing(slot);
      if (rec !== null && rec.claimArea === area && this.domain.isDeadOwner(rec.claimOwner)) return rec;
    }
    return null;
  }

  /**
   * Slot `slot`'s record, if the slot ever wrote this map. Every one is
   * looked at, not only those of slots already known dead: a thread that
   * died unnoticed (nobody marks deaths: rcu/liveness.ts) is found dead by
   * the isDeadOwner the caller asks about the record's owner. Opening a
   * record never waits (its segment was published before the directory
   * named it: memory/segments.ts), and this runs only in recoveries.
   */
  private existing(slot: number): LogRecord | null {
    const known = this.views[slot]!;
    if (known !== null) return known;
    if (Atomics.load(this.dir, LOG_DIR_AT + slot) === 0) return null;
    return this.open(slot, false);
  }

  private open(slot: number, create: boolean): LogRecord | null {
    if (!create) recoveryStep('record-open');
    const at = LOG_DIR_AT + slot;
    if (Atomics.load(this.dir, at) === 0) {
      if (!create) return null;
      // Only the thread on this slot creates its record, so there is no race.
      // Published before the directory names it: any thread that reads the
      // directory word then finds the segment in its queue (memory/segments.ts).
      const sab = new SharedArrayBuffer(logRecordBytes(this.valueBytes));
      this.segments.publish(logSegmentId(slot), sab);
      Atomics.store(this.dir, at, sab.byteLength);
    }
    const rec = new LogRecord(slot, this.segments.get(logSegmentId(slot)));
    this.views[slot] = rec;
    return rec;
  }
}
