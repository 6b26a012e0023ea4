import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno } from '@rightsize/engine';

/** Slots per entry: at most half the slots are used, so probe sequences stay short. */
const SLOTS_PER_ENTRY = 2;
/** 2^32 / golden ratio: Fibonacci hashing spreads consecutive keys over the whole table. */
const FIB = 0x9e3779b1 | 0;

/**
 * The practical limit for JavaScript: a single-threaded open-addressing hash
 * table over Int32Arrays, with no synchronisation at all. u32 keys, values of
 * a fixed size held as 32-bit words, linear probing, Fibonacci hashing, and
 * backward-shift deletion (no tombstones, so a long run of updates and
 * deletes does not slow lookups down).
 *
 * It keeps BPF hash semantics (BPF_ANY / BPF_NOEXIST / BPF_EXIST, -E2BIG past
 * maxEntries, -ENOENT) so that the benchmark runs the very same loop on it as
 * on a rightsize map and a property test can hold it against the built-in Map.
 */
export class UnsyncTable {
  readonly maxEntries: number;
  /** 32-bit words per value: valueSize rounded up to whole words. */
  readonly valueWords: number;
  readonly capacity: number;
  private readonly mask: number;
  private readonly shift: number;
  private readonly keys: Int32Array;
  private readonly used: Uint8Array;
  private readonly values: Int32Array;
  private count = 0;

  constructor(maxEntries: number, valueSize: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 2 ** 28) {
      throw new RangeError(`maxEntries must be an integer in 1..2^28, got ${maxEntries}`);
    }
    if (!Number.isInteger(valueSize) || valueSize < 1) throw new RangeError(`valueSize must be a positive integer, got ${valueSize}`);
    this.maxEntries = maxEntries;
    this.valueWords = (valueSize + 3) >>> 2;
    const bits = Math.max(3, Math.ceil(Math.log2(maxEntries * SLOTS_PER_ENTRY)));
    this.capacity = 2 ** bits;
    this.mask = this.capacity - 1;
    this.shift = 32 - bits;
    this.keys = new Int32Array(this.capacity);
    this.used = new Uint8Array(this.capacity);
    this.values = new Int32Array(this.capacity * this.valueWords);
  }

  get size(): number {
    return this.count;
  }

  private home(key: number): number {
    return Math.imul(key | 0, FIB) >>> this.shift;
  }

  /** The slot holding `key`, or -1 - (the free slot where it would go). */
  private find(key: number): number {
    const k = key | 0;
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    let i = this.home(k);
    while (used[i] !== 0) {
      if (keys[i] === k) return i;
      i = (i + 1) & mask;
    }
    return -1 - i;
  }

  /** Copies the value into `out` (at least valueWords words): 0, or -ENOENT. */
  lookupInto(key: number, out: Int32Array): number {
    const i = this.find(key);
    if (i < 0) return -Errno.ENOENT;
    const w = this.valueWords;
    const base = i * w;
    const values = this.values;
    for (let j = 0; j < w; j++) out[j] = values[base + j]!;
    return 0;
  }

  /** Inserts or replaces: 0, -EEXIST (NOEXIST, present), -ENOENT (EXIST, absent), -E2BIG (full), -EINVAL (flags). */
  update(key: number, value: Int32Array, flags: number = BPF_ANY): number {
    if (flags !== BPF_ANY && flags !== BPF_NOEXIST && flags !== BPF_EXIST) return -Errno.EINVAL;
    let i = this.find(key);
    if (i >= 0) {
      if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    } else {
      if (flags === BPF_EXIST) return -Errno.ENOENT;
      if (this.count >= this.maxEntries) return -Errno.E2BIG;
      i = -1 - i;
      this.keys[i] = key | 0;
      this.used[i] = 1;
      this.count++;
    }
    const w = this.valueWords;
    const base = i * w;
    const values = this.values;
    for (let j = 0; j < w; j++) values[base + j] = value[j]!;
    return 0;
  }

  /**
   * Removes `key`: 0 or -ENOENT. Backward-shift deletion: every entry of the
   * probe run after the hole that may move back into it does, so that a
   * lookup can still stop at the first free slot.
   */
  delete(key: number): number {
    let hole = this.find(key);
    if (hole < 0) return -Errno.ENOENT;
    const { keys, used, values, mask, valueWords: w } = this;
    let i = hole;
    for (;;) {
      i = (i + 1) & mask;
      if (used[i] === 0) break;
      const home = this.home(keys[i]!);
      // Entry i may fill the hole when its home is not in (hole, i] cyclically:
      // then the hole lies on its probe path.
      const movable = hole <= i ? home <= hole || home > i : home <= hole && home > i;
      if (movable) {
        keys[hole] = keys[i]!;
        values.copyWithin(hole * w, i * w, i * w + w);
        hole = i;
      }
    }
    used[hole] = 0;
    this.count--;
    return 0;
  }
}
