import { BPF_F_LOCK, BPF_NOEXIST, Errno, updateFlagsValid } from '../../errno.js';
import { lockRecover, unlock } from '../../locks/bucket-lock.js';
import { RecoveryLog, type LogRecord } from '../../recovery/log.js';
import { WordCopier } from '../../memory/word-copy.js';
import { SegmentStore, allocArea, newMapId } from '../../memory/segments.js';
import { QuiescenceDomain } from '../../rcu/domain.js';
import { isPercpuType, percpuValueStride, type NormalizedSpec } from '../../spec/map-spec.js';
import type { MapParts } from '../base.js';
import { ArrayMapBase } from './array-map-base.js';
import { assertRepairLockHeld } from '../lock-contracts.js';
import { MapHeader, W_LOCKS_RECOVERED, W_RECORDS_REPLAYED } from '../header.js';
import type { MapHandle, MapStats } from '../map.js';
import { LITTLE_ENDIAN } from '../chained/table.js';
import { copyBytes } from '../../memory/byte-copy.js';

const SEG_SLOTS = 1;

/**
 * One array slot in Int32 words: [0] seqlock, [1] lock word, then the value
 * (8-byte aligned; per-CPU arrays hold nCpus values of roundup(valueSize, 8)).
 *
 * The kernel's array copies values in place with no lock, so its readers can
 * see a torn value; ours never do: writers take the slot's lock and bracket
 * the copy with the seqlock, readers retry on a change.
 */
const W_SEQ = 0;
const W_LOCK = 1;
/** Slot words, for the consistency checker. */
export const ARRAY_SEQ = W_SEQ;
export const ARRAY_LOCK = W_LOCK;
const VAL_OFF = 2;
const READ_RETRIES = 256;

export function arraySlotWords(valueBytes: number): number {
  return VAL_OFF + (((valueBytes + 7) & ~7) >>> 2);
}

/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY: maxEntries slots,
 * preallocated and zeroed; the key is a u32 index. Every slot always exists,
 * so delete is -EINVAL, NOEXIST is -EEXIST and an index past the end is
 * -E2BIG on update and "not found" on lookup.
 */
export class ArrayMap extends ArrayMapBase {
  readonly slots: Int32Array;
  readonly bytesView: Uint8Array;
  protected readonly stride: number;
  /** Redo records of value writes (see recovery/log.ts). */
  private readonly log: RecoveryLog;
  private readonly copier = new WordCopier();

  constructor(parts: MapParts) {
    super(parts);
    this.stride = arraySlotWords(this.userValueSize);
    const sab = this.segments.get(SEG_SLOTS);
    this.slots = new Int32Array(sab);
    this.bytesView = new Uint8Array(sab);
    this.log = new RecoveryLog(this.header, this.segments, this.domain, this.userValueSize, (rec) => {
      if (rec.index >= 0 && rec.index < this.spec.maxEntries) {
        this.lockSlot(rec.index);
        unlock(this.slots, rec.index * this.stride + W_LOCK);
      }
    });
  }

  /**
   * Takes slot i's lock. One taken over from a dead owner is repaired first:
   * the owner's value write is replayed from its redo record, inside a write
   * section, and the sequence is left even.
   */
  private lockSlot(i: number): void {
    const w = this.slots;
    const base = i * this.stride;
    lockRecover(w, base + W_LOCK, this.domain.ownerId(), this.domain, 'array slot lock', () => {
      if ((Atomics.load(w, base + W_SEQ) & 1) === 0) Atomics.add(w, base + W_SEQ, 1);
      const replayed = this.log.replay(0, i, (rec) => rec.replayInto(this.bytesView, (base + VAL_OFF) * 4 + rec.offset));
      Atomics.add(w, base + W_SEQ, 1);
      Atomics.add(this.header.words, W_LOCKS_RECOVERED, 1);
      Atomics.add(this.header.words, W_RECORDS_REPLAYED, replayed);
    });
  }

  /** After a death: every slot lock is taken once, so that any a dead CPU held is taken over and repaired. */
  protected override repairLocked(): number {
    assertRepairLockHeld(this.header, this.domain);
    for (let i = 0; i < this.spec.maxEntries; i++) {
      this.lockSlot(i);
      unlock(this.slots, i * this.stride + W_LOCK);
    }
    return 0;
  }

  static bytesAtCreate(spec: NormalizedSpec): number {
    const valueBytes = isPercpuType(spec.type) ? spec.nCpus * percpuValueStride(spec.valueSize) : spec.valueSize;
    return spec.maxEntries * arraySlotWords(valueBytes) * 4;
  }

  static create(spec: NormalizedSpec, domain: QuiescenceDomain): ArrayMap {
    // The slots first: an array too big to allocate throws (naming spec.maxEntries) before anything else exists.
    const sab = allocArea(ArrayMap.bytesAtCreate(spec), 'spec.maxEntries', `array of ${spec.maxEntries} slots`);
    const header = MapHeader.create(0);
    const id = newMapId();
    const segments = SegmentStore.create(id, header.segmentControl(domain));
    segments.publish(SEG_SLOTS, sab);
    header.addBytes(sab.byteLength);
    return new ArrayMap({ id, spec, header, segments, domain });
  }

  static attach(_h: MapHandle, parts: MapParts): ArrayMap {
    return new ArrayMap(parts);
  }

  // The lookups stay in each index-keyed class (array_of_maps has the same two): in IndexKeyedMap, lookupIndex would be a polymorphic call on a program's hot path.
  lookupInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    return this.lookupIndex(this.indexOf(key), out);
  }

  lookupU32Into(key: number, out: Uint8Array): number {
    this.checkU32(key);
    this.checkOut(out);
    return this.lookupIndex(key, out);
  }

  protected lookupIndex(i: number, out: Uint8Array): number {
    if (!this.userMayRead()) return -Errno.EPERM;
    if (i >= this.spec.maxEntries) return -Errno.ENOENT;
    this.readSlot(i, out, this.windowFrom(), this.valueSizeHere());
    return 0;
  }

  /** Seqlocked copy of slot i's value bytes [from, from + len) into out. */
  protected readSlot(i: number, out: Uint8Array, from: number, len: number): void {
    const w = this.slots;
    const base = i * this.stride;
    const vb = (base + VAL_OFF) * 4 + from;
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const s1 = Atomics.load(w, base + W_SEQ);
      if ((s1 & 1) !== 0) continue;
      copyBytes(this.bytesView, vb, out, 0, len);
      if (Atomics.load(w, base + W_SEQ) === s1) return;
    }
    // Writers keep rewriting this slot: read under its lock (bounded wait).
    this.lockSlot(i);
    copyBytes(this.bytesView, vb, out, 0, len);
    unlock(w, base + W_LOCK);
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    this.checkKey(key);
    this.checkValue(value);
    return this.updateIndex(this.indexOf(key), value, flags);
  }

  updateU32(key: number, value: Uint8Array, flags = 0): number {
    this.checkU32(key);
    this.checkValue(value);
    return this.updateIndex(key, value, flags);
  }

  /** The kernel's order of checks: flags, then index, then NOEXIST. */
  protected updateIndex(i: number, value: Uint8Array, flags: number): number {
    if (!updateFlagsValid(flags)) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if ((flags & ~BPF_F_LOCK) === BPF_NOEXIST) return -Errno.EEXIST;
    this.writeSlot(i, value, this.windowFrom(), this.valueSizeHere());
    return 0;
  }

  protected writeSlot(i: number, value: Uint8Array, from: number, len: number): void {
    const w = this.slots;
    const base = i * this.stride;
    if (len === 4 && LITTLE_ENDIAN) {
      // One Int32 store (values start 8-byte aligned): no death can tear it, no redo record.
      this.lockSlot(i);
      Atomics.add(w, base + W_SEQ, 1);
      w[base + VAL_OFF + (from >>> 2)] = value[0]! | (value[1]! << 8) | (value[2]! << 16) | (value[3]! << 24);
      Atomics.add(w, base + W_SEQ, 1);
      unlock(w, base + W_LOCK);
      this.settle();
      return;
    }
    const rec: LogRecord = this.log.prepare(this.domain.ownerId());
    this.lockSlot(i);
    // Recorded before the section opens (its Atomics.add publishes the record).
    rec.begin(0, i, -1, from, value, 0, len);
    Atomics.add(w, base + W_SEQ, 1);
    this.copier.copy(value, 0, w, this.bytesView, (base + VAL_OFF) * 4 + from, len);
    Atomics.add(w, base + W_SEQ, 1);
    rec.end();
    unlock(w, base + W_LOCK);
    this.settle();
  }

  atomicAdd(key: Uint8Array, byteOffset: number, delta: number): number {
    const refused = this.checkAtomicAdd(key, byteOffset, delta, this.valueSizeHere());
    if (refused !== 0) return refused;
    const i = this.indexOf(key);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    const w = this.slots;
    const base = i * this.stride;
    const at = base + VAL_OFF + ((this.windowFrom() + byteOffset) >>> 2);
    // One word: a plain store cannot be torn, so no redo record is needed.
    this.lockSlot(i);
    Atomics.add(w, base + W_SEQ, 1);
    w[at] = (w[at]! + delta) | 0;
    Atomics.add(w, base + W_SEQ, 1);
    unlock(w, base + W_LOCK);
    this.settle();
    return 0;
  }

  protected indexBound(): number {
    return this.spec.maxEntries;
  }

  protected readWhole(i: number, out: Uint8Array): boolean {
    if (i >= this.spec.maxEntries) return false;
    this.readSlot(i, out, 0, this.userValueSize);
    return true;
  }

  stats(): MapStats {
    return {
      type: this.spec.type,
      entries: this.spec.maxEntries,
      maxEntries: this.spec.maxEntries,
      buckets: 0,
      bytes: this.header.heldBytes(),
    };
  }
}
