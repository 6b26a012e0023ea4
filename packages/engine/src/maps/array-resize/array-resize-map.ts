import { BPF_F_LOCK, BPF_NOEXIST, Errno, updateFlagsValid } from '../../errno.js';
import { OWNER_MASK, lockRecover, unlock } from '../../locks/bucket-lock.js';
import { RecoveryLog, type LogRecord } from '../../recovery/log.js';
import { LINE_WORDS, SegmentStore, allocArea, newMapId } from '../../memory/segments.js';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import { RetireQueue, retireQueueWords } from '../../rcu/retire.js';
import { requireInt, type NormalizedSpec } from '../../spec/map-spec.js';
import { arraySlotWords } from '../array/array-map.js';
import type { MapParts } from '../base.js';
import { ArrayMapBase } from '../array/array-map-base.js';
import { assertHeld, assertRepairLockHeld, lockChecksOn } from '../lock-contracts.js';
import { MapHeader, TYPE_BASE, W_LOCKS_RECOVERED, W_RECORDS_REPLAYED } from '../header.js';
import type { MapHandle, MapStats } from '../map.js';
import { LITTLE_ENDIAN } from '../chained/table.js';
import { copyBytes } from '../../memory/byte-copy.js';

/**
 * array_resize: the talk's resizable array, built as proposed from a map of
 * arrays (MAP_OF_ARRAYS + ARRAY):
 *
 *   slot = key >>> log2(SIZE), offset = key & (SIZE - 1)
 *
 * with SIZE = spec.arrayResize.subArraySize, a power of two, so the lookup
 * needs a shift and a mask, never a division. Each sub-array is its own
 * SharedArrayBuffer (a segment, published to the other threads through the
 * map's SegmentStore), so memory follows the size: `grow()` allocates a
 * sub-array at that moment, `shrink()` drops the last one and its memory is
 * released after a grace period.
 *
 * Semantics (ARRAY's, over the current size):
 * - keys below the current size always exist (zeroed when their sub-array is
 *   added); lookup of a key at or beyond the size is -ENOENT, update is -E2BIG
 *   (ARRAY's "index out of range"), delete is -EINVAL, NOEXIST is -EEXIST;
 * - `grow(n = 1)` adds n sub-arrays: -E2BIG past maxEntries (nothing added),
 *   -ENOMEM past spec.memoryBudget; the last sub-array holds only the entries
 *   below maxEntries;
 * - `shrink(n = 1)` drops the last n sub-arrays, their entries are gone: -ENOENT
 *   when there are fewer than n, -EBUSY when the retire queue is full (too many
 *   shrinks within one grace period; `reclaim()` and retry).
 *
 * Entries: the same [seqlock, lock, value] slot as ARRAY, so the two compare
 * fairly. The writer's sequence stays in 0..2^30-1 (stored, masked), which
 * keeps -1 free as DEAD: a shrink marks every entry of a dropped sub-array
 * DEAD (under the entry's lock) before it lowers the size. A reader or writer
 * that meets DEAD knows the entry is gone, without consulting the size.
 *
 * Per-thread state: an array of sub-array views indexed by slot, and the size
 * they cover. The lookup path reads the size from this thread's cache, no
 * shared word: a key beyond the cached size refreshes the cache (a grow
 * elsewhere), a DEAD entry refreshes it (a shrink elsewhere). So a lookup
 * costs what an ARRAY lookup costs plus one shift, one mask and one array
 * index; it takes no lock and allocates nothing.
 *
 * Shared words (header lines of the type): the resize lock (grow and shrink
 * are serialized; readers never take it), and the metadata line: VERSION (odd
 * while a resize publishes, even otherwise: a seqlock over SIZE, NSUB and the
 * directory), SIZE (entries), NSUB (sub-arrays), the next segment id (ids are
 * never reused, so a stale cached view can never be mistaken for a new one),
 * and counters. The directory segment maps slot -> segment id (0 = none).
 *
 * Linearization: a grow is visible at its VERSION bump (readers retry across
 * the odd window, so a key below the size a grow published always resolves);
 * a shrink removes each entry at the moment it marks it DEAD.
 *
 * A CPU that dies (recovery/log.ts): an entry lock taken over from a dead
 * owner is repaired first (its value write replayed from the owner's redo
 * record, the sequence left even); the resize lock taken over from a dead
 * owner finishes or undoes the resize it was publishing (recoverResize).
 */
const SEG_DIR = 1;
const SEG_RETIRE = 2;
const SEG_SUB0 = 16;
const RETIRE_SLOTS = 16;
/** The directory of a map is at most this many sub-arrays (4 MiB of segment ids). */
export const MAX_SUB_ARRAYS = 1 << 20;

const H_RESIZE_LOCK = TYPE_BASE;
const H_META = TYPE_BASE + LINE_WORDS;
const M_VERSION = H_META;
const M_SIZE = H_META + 1;
const M_NSUB = H_META + 2;
const M_NEXT_SEG = H_META + 3;
const M_GROWS = H_META + 4;
const M_SHRINKS = H_META + 5;
const M_RELEASED = H_META + 6;

const E_SEQ = 0;
const E_LOCK = 1;
const E_VAL = 2;
const SEQ_MASK = 0x3fffffff;
const DEAD = -1;
const READ_RETRIES = 256;
/** Shared words, for the consistency checker. */
export const AR_SEG_DIR = SEG_DIR;
export const AR_RESIZE_LOCK = H_RESIZE_LOCK;
export const AR_VERSION = M_VERSION;
export const AR_SIZE = M_SIZE;
export const AR_NSUB = M_NSUB;
export const AR_NEXT_SEG = M_NEXT_SEG;
export const AR_ENTRY_SEQ = E_SEQ;
export const AR_ENTRY_LOCK = E_LOCK;
export const AR_DEAD = DEAD;
/** A resize's publishing window is a handful of stores; a reader waits this long at most for it. */
const META_WAIT_MS = 2000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function maxSubArrays(spec: NormalizedSpec): number {
  const n = Math.ceil(spec.maxEntries / spec.arrayResize.subArraySize);
  if (n > MAX_SUB_ARRAYS) {
    throw new RangeError(
      `spec.arrayResize.subArraySize (${spec.arrayResize.subArraySize}) is too small for maxEntries ${spec.maxEntries}: ` + `that makes ${n} sub-arrays, over the limit of ${MAX_SUB_ARRAYS}`,
    );
  }
  return n;
}

/** Entries of sub-array k (the last one stops at maxEntries). */
function subEntries(spec: NormalizedSpec, k: number): number {
  const size = spec.arrayResize.subArraySize;
  return Math.min(size, spec.maxEntries - k * size);
}

function subBytes(spec: NormalizedSpec, k: number): number {
  return subEntries(spec, k) * arraySlotWords(spec.valueSize) * 4;
}

export class ArrayResizeMap extends ArrayMapBase {
  private readonly dir: Int32Array;
  private readonly retire: RetireQueue;
  private readonly shift: number;
  private readonly mask: number;
  /** Words per entry. */
  private readonly stride: number;
  private readonly maxSubs: number;
  private readonly valueLen: number;
  // This thread's view of the sub-arrays, by slot, and the size it covers.
  private readonly subWords: Int32Array[] = [];
  private readonly subBytes: Uint8Array[] = [];
  private readonly subIds: number[] = [];
  private size = 0;
  private version = -1;
  /** The entry lockEntry locked (its sub-array's words) and its sequence before the write. */
  private held: Int32Array = new Int32Array(0);
  private heldSeq = 0;

  constructor(parts: MapParts) {
    super(parts);
    const sub = this.spec.arrayResize.subArraySize;
    this.shift = Math.log2(sub);
    this.mask = sub - 1;
    this.stride = arraySlotWords(this.spec.valueSize);
    this.maxSubs = maxSubArrays(this.spec);
    this.valueLen = this.spec.valueSize;
    this.dir = new Int32Array(this.segments.get(SEG_DIR));
    this.retire = new RetireQueue(new Int32Array(this.segments.get(SEG_RETIRE)), 0, RETIRE_SLOTS, this.domain);
    this.log = new RecoveryLog(this.header, this.segments, this.domain, this.spec.valueSize, (rec) => {
      // The sub-array the record names, if it is still live: taking the entry's lock replays the record.
      this.refresh();
      const k = this.subIds.indexOf(rec.area);
      if (k < 0 || rec.index < 0 || rec.index >= subEntries(this.spec, k)) return;
      const base = rec.index * this.stride;
      this.lockEntryWord(this.subWords[k]!, this.subBytes[k]!, base, rec.area, rec.index);
      unlock(this.subWords[k]!, base + E_LOCK);
    });
  }

  /** Redo records of value writes (see recovery/log.ts). */
  private readonly log: RecoveryLog;

  /**
   * Takes the lock of entry `e` (word offset `base`) of the sub-array in
   * segment `area`. One taken over from a dead owner is repaired first: the
   * owner's value write is replayed, inside a write section, and the
   * sequence is left even (a DEAD entry stays DEAD: nothing to repair).
   */
  private lockEntryWord(w: Int32Array, bytes: Uint8Array, base: number, area: number, e: number): void {
    lockRecover(w, base + E_LOCK, this.domain.ownerId(), this.domain, 'array_resize entry lock', () => this.recoverEntryLocked(w, bytes, base, area, e));
  }

  private recoverEntryLocked(w: Int32Array, bytes: Uint8Array, base: number, area: number, e: number): void {
    if (lockChecksOn()) assertHeld(w, base + E_LOCK, this.domain.ownerId(), 'array_resize entry lock');
    const h = this.header.words;
    Atomics.add(h, W_LOCKS_RECOVERED, 1);
    let seq = w[base + E_SEQ]!;
    if (seq === DEAD) {
      Atomics.add(
        h,
        W_RECORDS_REPLAYED,
        this.log.replay(area, e, () => undefined),
      );
      return;
    }
    if ((seq & 1) === 0) {
      seq = (seq + 1) & SEQ_MASK;
      Atomics.store(w, base + E_SEQ, seq);
    }
    Atomics.add(
      h,
      W_RECORDS_REPLAYED,
      this.log.replay(area, e, (rec) => rec.replayInto(bytes, (base + E_VAL) * 4 + rec.offset)),
    );
    Atomics.store(w, base + E_SEQ, (seq + 1) & SEQ_MASK);
  }

  static bytesAtCreate(spec: NormalizedSpec): number {
    const initial = Math.ceil(spec.arrayResize.initialEntries / spec.arrayResize.subArraySize);
    let bytes = maxSubArrays(spec) * 4 + retireQueueWords(RETIRE_SLOTS) * 4;
    for (let k = 0; k < initial; k++) bytes += subBytes(spec, k);
    return bytes;
  }

  static create(spec: NormalizedSpec, domain: QuiescenceDomain): ArrayResizeMap {
    const dirSab = allocArea(maxSubArrays(spec) * 4, 'spec.arrayResize.subArraySize', 'sub-array directory');
    const retireSab = new SharedArrayBuffer(retireQueueWords(RETIRE_SLOTS) * 4);
    const header = MapHeader.create(0);
    const id = newMapId();
    const segments = SegmentStore.create(id, header.segmentControl(domain));
    segments.publish(SEG_DIR, dirSab);
    segments.publish(SEG_RETIRE, retireSab);
    header.addBytes(dirSab.byteLength + retireSab.byteLength);
    header.words[M_NEXT_SEG] = SEG_SUB0;
    const map = new ArrayResizeMap({ id, spec, header, segments, domain });
    const initial = Math.ceil(spec.arrayResize.initialEntries / spec.arrayResize.subArraySize);
    // No lock: no other thread can reach the map before create returns it.
    const r = map.addSubArrays(initial);
    if (r !== 0) throw new RangeError(`spec.arrayResize.initialEntries: cannot allocate the first ${initial} sub-arrays (${r})`);
    return map;
  }

  static attach(_h: MapHandle, parts: MapParts): ArrayResizeMap {
    return new ArrayResizeMap(parts);
  }

  // ---- this thread's view ----

  /**
   * Brings this thread's views up to the published size: reads SIZE, NSUB and
   * the directory under the VERSION seqlock, then loads the views of new
   * segments and forgets the ones no longer in the directory.
   */
  private refresh(): void {
    const h = this.header.words;
    let deadline = 0;
    for (let attempt = 0; ; attempt++) {
      const v1 = Atomics.load(h, M_VERSION);
      if ((v1 & 1) === 0) {
        if (v1 === this.version) return;
        const nsub = Atomics.load(h, M_NSUB);
        const size = Atomics.load(h, M_SIZE);
        const ids: number[] = [];
        for (let k = 0; k < nsub; k++) ids.push(Atomics.load(this.dir, k));
        if (Atomics.load(h, M_VERSION) === v1) {
          this.adopt(ids, size, v1);
          return;
        }
      }
      if (attempt < 64) continue;
      // A resize left half-published by a thread that died (VERSION odd, the
      // resize lock still its): nobody else may come to finish it, so this
      // thread takes the lock over, which finishes or undoes that resize
      // (recoverResize), rather than wait for a thread that is gone.
      if ((v1 & 1) !== 0 && this.resizerDead()) {
        this.underResizeLock(() => 0);
        continue;
      }
      if (deadline === 0) deadline = performance.now() + META_WAIT_MS;
      if (performance.now() > deadline) {
        throw new Error(`rightsize: array_resize map ${this.id}: a resize stayed half-published for ${META_WAIT_MS} ms (its thread died?)`);
      }
      Atomics.wait(sleepCell, 0, 0, 0.05);
    }
  }

  /** Whether the resize lock is held by a thread that died. */
  private resizerDead(): boolean {
    const holder = Atomics.load(this.header.words, H_RESIZE_LOCK) & OWNER_MASK;
    return holder !== 0 && this.domain.isDeadOwner(holder);
  }

  private adopt(ids: number[], size: number, version: number): void {
    for (let k = 0; k < Math.max(ids.length, this.subIds.length); k++) {
      const want = k < ids.length ? ids[k]! : 0;
      const have = this.subIds[k] ?? 0;
      if (want === have) continue;
      // A segment id leaves the directory for good: this thread lets it go.
      if (have !== 0) this.segments.drop(have);
      if (want === 0) {
        this.subIds.length = this.subWords.length = this.subBytes.length = k;
        break;
      }
      const sab = this.segments.get(want);
      this.subWords[k] = new Int32Array(sab);
      this.subBytes[k] = new Uint8Array(sab);
      this.subIds[k] = want;
    }
    this.size = size;
    this.version = version;
  }

  // ---- lookups: lock-free ----

  lookupInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    if (!this.userMayRead()) return -Errno.EPERM;
    this.scratch.set(key);
    return this.readEntry(this.scratch32[0]!, out, false);
  }

  lookupU32Into(key: number, out: Uint8Array): number {
    this.checkU32(key);
    this.checkOut(out);
    if (!this.userMayRead()) return -Errno.EPERM;
    return this.readEntry(key, out, false);
  }

  /**
   * Seqlocked copy of entry i's value into out: 0, or -ENOENT beyond the size.
   * The hot path is kept small (V8 inlines it); a refresh, a DEAD entry and a
   * contended entry go to the cold paths below.
   */
  private readEntry(i: number, out: Uint8Array, retried: boolean): number {
    if (i >= this.size) return this.readBeyond(i, out, retried);
    const slot = i >>> this.shift;
    const w = this.subWords[slot]!;
    const base = (i & this.mask) * this.stride;
    const s1 = Atomics.load(w, base);
    if ((s1 & 1) === 0) {
      copyBytes(this.subBytes[slot]!, (base + E_VAL) * 4, out, 0, this.valueLen);
      if (Atomics.load(w, base) === s1) return 0;
    }
    return this.readSlow(i, out, retried);
  }

  /** A key beyond this thread's cached size: a grow elsewhere may have made it exist. */
  private readBeyond(i: number, out: Uint8Array, retried: boolean): number {
    this.refresh();
    if (i >= this.size) return -Errno.ENOENT;
    return this.readEntry(i, out, retried);
  }

  /** The entry is being written, or DEAD: retry, then read under its lock (bounded wait). */
  private readSlow(i: number, out: Uint8Array, retried: boolean): number {
    const slot = i >>> this.shift;
    const w = this.subWords[slot]!;
    const b = this.subBytes[slot]!;
    const base = (i & this.mask) * this.stride;
    const vb = (base + E_VAL) * 4;
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const s1 = Atomics.load(w, base + E_SEQ);
      if ((s1 & 1) !== 0) {
        if (s1 === DEAD) return this.afterDead(i, out, w, retried);
        continue;
      }
      copyBytes(b, vb, out, 0, this.valueLen);
      if (Atomics.load(w, base + E_SEQ) === s1) return 0;
    }
    this.lockEntryWord(w, b, base, this.subIds[slot]!, i & this.mask);
    const dead = w[base + E_SEQ] === DEAD;
    if (!dead) copyBytes(b, vb, out, 0, this.valueLen);
    unlock(w, base + E_LOCK);
    return dead ? this.afterDead(i, out, w, retried) : 0;
  }

  /** Entry i's sub-array was dropped; a grow since may have put a new one in its slot. */
  private afterDead(i: number, out: Uint8Array, deadWords: Int32Array, retried: boolean): number {
    if (retried) return -Errno.ENOENT;
    this.refresh();
    if (i >= this.size || this.subWords[i >>> this.shift] === deadWords) return -Errno.ENOENT;
    return this.readEntry(i, out, true);
  }

  // ---- updates: under the entry's lock ----

  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    this.checkKey(key);
    this.checkValue(value);
    this.scratch.set(key);
    return this.writeEntry(this.scratch32[0]!, value, flags);
  }

  updateU32(key: number, value: Uint8Array, flags = 0): number {
    this.checkU32(key);
    this.checkValue(value);
    return this.writeEntry(key, value, flags);
  }

  /** ARRAY's order of checks: flags, permission, index, NOEXIST. */
  private writeEntry(i: number, value: Uint8Array, flags: number): number {
    // Sub-arrays appear after creation: answer threads waiting for one this thread holds.
    this.answerSegmentWants();
    if (!updateFlagsValid(flags)) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    if (this.valueLen === 4 && LITTLE_ENDIAN) {
      // One Int32 store: no death can tear it, so no redo record is needed.
      const base = this.lockEntry(i, flags, null, null);
      if (base < 0) return base;
      this.held[base + E_VAL] = value[0]! | (value[1]! << 8) | (value[2]! << 16) | (value[3]! << 24);
      this.unlockEntry(base);
      this.settle();
      return 0;
    }
    const rec = this.log.prepare(this.domain.ownerId());
    const base = this.lockEntry(i, flags, rec, value);
    if (base < 0) return base;
    copyBytes(value, 0, this.subBytes[i >>> this.shift]!, (base + E_VAL) * 4, this.spec.valueSize);
    rec.end();
    this.unlockEntry(base);
    this.settle();
    return 0;
  }

  /**
   * Takes entry i's lock and opens its seqlock write section: the entry's word
   * offset in `this.held` (>= 0), or -E2BIG when i is beyond the size (or its
   * sub-array is being dropped), -EEXIST for NOEXIST. No closure, no
   * allocation: the update path is a program's hot path too. With `rec`, the
   * write of `value` is recorded before the section opens (recovery/log.ts).
   */
  private lockEntry(i: number, flags: number, rec: LogRecord | null, value: Uint8Array | null): number {
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (i >= this.size) {
        this.refresh();
        if (i >= this.size) return -Errno.E2BIG;
      }
      if ((flags & ~BPF_F_LOCK) === BPF_NOEXIST) {
        // Every entry below the size exists; this thread's cached size may be
        // stale after a shrink elsewhere, so the size is read again first.
        this.refresh();
        return i >= this.size ? -Errno.E2BIG : -Errno.EEXIST;
      }
      const slot = i >>> this.shift;
      const w = this.subWords[slot]!;
      const base = (i & this.mask) * this.stride;
      this.lockEntryWord(w, this.subBytes[slot]!, base, this.subIds[slot]!, i & this.mask);
      const s = w[base + E_SEQ]!;
      if (s !== DEAD) {
        if (rec !== null) rec.begin(this.subIds[slot]!, i & this.mask, -1, 0, value!, 0, this.spec.valueSize);
        // Stores, not adds: the sequence stays below 2^30 and never reaches DEAD.
        Atomics.store(w, base + E_SEQ, s + 1);
        this.held = w;
        this.heldSeq = s;
        return base;
      }
      unlock(w, base + E_LOCK);
      this.refresh();
      if (this.subWords[i >>> this.shift] === w) return -Errno.E2BIG;
    }
    return -Errno.E2BIG;
  }

  /** Closes the write section lockEntry opened and releases the entry's lock. */
  private unlockEntry(base: number): void {
    const w = this.held;
    Atomics.store(w, base + E_SEQ, (this.heldSeq + 2) & SEQ_MASK);
    unlock(w, base + E_LOCK);
  }

  atomicAdd(key: Uint8Array, byteOffset: number, delta: number): number {
    const refused = this.checkAtomicAdd(key, byteOffset, delta, this.spec.valueSize);
    if (refused !== 0) return refused;
    this.scratch.set(key);
    const base = this.lockEntry(this.scratch32[0]!, 0, null, null);
    if (base < 0) return base;
    // One word: a plain store cannot be torn, so no redo record is needed.
    const at = base + E_VAL + (byteOffset >>> 2);
    this.held[at] = (this.held[at]! + delta) | 0;
    this.unlockEntry(base);
    this.settle();
    return 0;
  }

  // ---- grow and shrink (the talk's bpf_grow / bpf_shrink) ----

  /** Adds `count` sub-arrays: 0, -E2BIG past maxEntries, -ENOMEM past the memory budget. */
  override grow(count = 1): number {
    this.answerSegmentWants();
    this.checkLive();
    requireInt('count', count, 1, MAX_SUB_ARRAYS);
    return this.underResizeLock(() => {
      this.reclaimDue();
      const r = this.growLocked(count);
      if (r === 0) Atomics.add(this.header.words, M_GROWS, count);
      return r;
    });
  }

  /** Drops the last `count` sub-arrays: 0, -ENOENT when there are fewer, -EBUSY when the retire queue is full. */
  override shrink(count = 1): number {
    this.checkLive();
    requireInt('count', count, 1, MAX_SUB_ARRAYS);
    const r = this.underResizeLock(() => {
      this.reclaimDue();
      return this.shrinkLocked(count);
    });
    // Memory nobody can still be reading (no CPU online) goes at once.
    this.reclaimDue();
    return r;
  }

  /** Releases dropped sub-arrays whose grace period is over; how many. */
  reclaim(): number {
    this.checkLive();
    return this.reclaimDue();
  }

  private underResizeLock(fn: () => number): number {
    const h = this.header.words;
    lockRecover(h, H_RESIZE_LOCK, this.domain.ownerId(), this.domain, 'array_resize resize lock', () => this.recoverResize());
    try {
      return fn();
    } finally {
      unlock(h, H_RESIZE_LOCK);
    }
  }

  /** With lock checks on: throws unless the calling thread holds the resize lock. */
  private assertResizeLockHeld(): void {
    if (lockChecksOn()) assertHeld(this.header.words, H_RESIZE_LOCK, this.domain.ownerId(), 'array_resize resize lock');
  }

  /** Under the resize lock: adds `count` sub-arrays (see addSubArrays). */
  private growLocked(count: number): number {
    this.assertResizeLockHeld();
    return this.addSubArrays(count);
  }

  /**
   * Publishes `count` new sub-arrays: 0, -E2BIG past maxEntries, -ENOMEM past
   * the memory budget. Under the resize lock (growLocked), or at creation,
   * before any other thread can reach the map.
   */
  private addSubArrays(count: number): number {
    const h = this.header.words;
    const n = h[M_NSUB]!;
    if (n + count > this.maxSubs) return -Errno.E2BIG;
    let bytes = 0;
    for (let k = n; k < n + count; k++) bytes += subBytes(this.spec, k);
    if (this.header.heldBytes() + bytes > this.spec.memoryBudget) return -Errno.ENOMEM;
    const sabs: SharedArrayBuffer[] = [];
    try {
      for (let k = n; k < n + count; k++) sabs.push(new SharedArrayBuffer(subBytes(this.spec, k)));
    } catch {
      return -Errno.ENOMEM;
    }
    const ids: number[] = [];
    for (const sab of sabs) {
      const id = h[M_NEXT_SEG]!;
      h[M_NEXT_SEG] = id + 1;
      // The segment reaches every thread before the directory names it.
      this.segments.publish(id, sab);
      this.header.addBytes(sab.byteLength);
      ids.push(id);
    }
    Atomics.add(h, M_VERSION, 1);
    for (let j = 0; j < count; j++) Atomics.store(this.dir, n + j, ids[j]!);
    Atomics.store(h, M_NSUB, n + count);
    Atomics.store(h, M_SIZE, Math.min((n + count) * this.spec.arrayResize.subArraySize, this.spec.maxEntries));
    Atomics.add(h, M_VERSION, 1);
    return 0;
  }

  private shrinkLocked(count: number): number {
    this.assertResizeLockHeld();
    const h = this.header.words;
    const n = h[M_NSUB]!;
    if (count > n) return -Errno.ENOENT;
    // Under the resize lock nobody else retires, so the free slots stay free.
    if (RETIRE_SLOTS - this.retire.pending().length < count) return -Errno.EBUSY;
    const gone: { id: number; bytes: number }[] = [];
    for (let k = n - 1; k >= n - count; k--) {
      const id = Atomics.load(this.dir, k);
      const sab = this.segments.get(id);
      this.killSubArray(new Int32Array(sab), new Uint8Array(sab), id, subEntries(this.spec, k));
      gone.push({ id, bytes: sab.byteLength });
    }
    Atomics.add(h, M_VERSION, 1);
    Atomics.store(h, M_NSUB, n - count);
    Atomics.store(h, M_SIZE, Math.min((n - count) * this.spec.arrayResize.subArraySize, this.spec.maxEntries));
    for (let k = n - count; k < n; k++) Atomics.store(this.dir, k, 0);
    Atomics.add(h, M_VERSION, 1);
    for (const g of gone) {
      if (!this.retire.retire(g.id, g.bytes)) throw new Error('rightsize: array_resize retire queue full after checking for room (accounting bug)');
    }
    Atomics.add(h, M_SHRINKS, count);
    return 0;
  }

  /** Marks every entry of a dropped sub-array DEAD, each under its lock: from now on it is gone. */
  private killSubArray(w: Int32Array, bytes: Uint8Array, area: number, entries: number): void {
    for (let e = 0; e < entries; e++) {
      const base = e * this.stride;
      this.lockEntryWord(w, bytes, base, area, e);
      Atomics.store(w, base + E_SEQ, DEAD);
      unlock(w, base + E_LOCK);
    }
  }

  /**
   * Under the resize lock, taken over from a dead owner: the resize it was
   * making is finished or undone. A grow writes the directory before NSUB, a
   * shrink kills its sub-arrays' entries, then lowers NSUB before clearing
   * the directory; so an odd VERSION with a directory entry past NSUB is a
   * grow to finish (NSUB follows the directory) or, when that sub-array is
   * dead, a shrink to finish (the directory follows NSUB). Entries a shrink
   * marked DEAD in sub-arrays that stay live come back (a shrink only marks:
   * their values are intact). The bytes are recounted from what the map holds.
   */
  private recoverResize(): void {
    const h = this.header.words;
    Atomics.add(h, W_LOCKS_RECOVERED, 1);
    const v = Atomics.load(h, M_VERSION);
    let nsub = Atomics.load(h, M_NSUB);
    if ((v & 1) !== 0) {
      const beyond = nsub < this.maxSubs ? Atomics.load(this.dir, nsub) : 0;
      if (beyond !== 0) {
        if (new Int32Array(this.segments.get(beyond))[E_SEQ] === DEAD) {
          for (let k = nsub; k < this.maxSubs && Atomics.load(this.dir, k) !== 0; k++) Atomics.store(this.dir, k, 0);
        } else {
          while (nsub < this.maxSubs && Atomics.load(this.dir, nsub) !== 0) nsub++;
          Atomics.store(h, M_NSUB, nsub);
        }
      }
      Atomics.store(h, M_SIZE, Math.min(nsub * this.spec.arrayResize.subArraySize, this.spec.maxEntries));
      Atomics.add(h, M_VERSION, 1);
    }
    for (let k = 0; k < nsub; k++) {
      const w = new Int32Array(this.segments.get(Atomics.load(this.dir, k)));
      for (let base = 0; base < w.length; base += this.stride) if (w[base + E_SEQ] === DEAD) Atomics.store(w, base + E_SEQ, 0);
    }
    this.recountBytes();
  }

  /** Under the resize lock: the bytes held become the directory, the retire queue, the live sub-arrays and those waiting for their grace period. */
  private recountBytes(): void {
    const nsub = Atomics.load(this.header.words, M_NSUB);
    let bytes = this.dir.byteLength + this.retire.words.byteLength + this.retire.pendingBytes();
    for (let k = 0; k < nsub; k++) bytes += this.segments.get(Atomics.load(this.dir, k)).byteLength;
    this.header.addBytes(bytes - this.header.heldBytes());
  }

  /** After a death: every entry lock is taken once (under the resize lock), so that any a dead CPU held is taken over and repaired. */
  protected override repairLocked(): number {
    assertRepairLockHeld(this.header, this.domain);
    return this.underResizeLock(() => {
      // A retire or a free a dead thread left half done gives its slot back;
      // the free is redone as far as this thread's cache goes, the bytes recounted.
      if (this.retire.recoverDead((seg) => this.segments.drop(seg)) > 0) this.recountBytes();
      this.refresh();
      for (let k = 0; k < this.subIds.length; k++) {
        const w = this.subWords[k]!;
        for (let e = 0; e < subEntries(this.spec, k); e++) {
          this.lockEntryWord(w, this.subBytes[k]!, e * this.stride, this.subIds[k]!, e);
          unlock(w, e * this.stride + E_LOCK);
        }
      }
      return 0;
    });
  }

  private reclaimDue(): number {
    return this.retire.reclaim((seg, bytes) => {
      this.header.addBytes(-bytes);
      this.segments.drop(seg);
      Atomics.add(this.header.words, M_RELEASED, 1);
    });
  }

  // ---- iteration (userspace) ----

  protected indexBound(): number {
    return Atomics.load(this.header.words, M_SIZE);
  }

  protected readWhole(i: number, out: Uint8Array): boolean {
    return this.readEntry(i, out, false) === 0;
  }

  stats(): MapStats {
    const h = this.header.words;
    return {
      type: this.spec.type,
      entries: Atomics.load(h, M_SIZE),
      maxEntries: this.spec.maxEntries,
      buckets: 0,
      bytes: this.header.heldBytes(),
      subArrays: Atomics.load(h, M_NSUB),
      subArraySize: this.spec.arrayResize.subArraySize,
      maxSubArrays: this.maxSubs,
      grows: Atomics.load(h, M_GROWS),
      shrinks: Atomics.load(h, M_SHRINKS),
      released: Atomics.load(h, M_RELEASED),
      pendingRelease: this.retire.pending().length,
    };
  }
}
