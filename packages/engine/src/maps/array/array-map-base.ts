import { BPF_F_LOCK, Errno } from '../../errno.js';
import { requireInt } from '../../spec/map-spec.js';
import { MapBase } from '../base.js';
import type { BatchOptions, BatchResult } from '../map.js';

/**
 * What ARRAY, PERCPU_ARRAY and array_resize share: the key is a u32 index,
 * and every index below the size always exists. So nothing can be deleted:
 * delete is -EINVAL (the kernel's array_map_delete_elem), and arrays have no
 * lookup-and-delete (-ENOTSUPP, the kernel's answer for a map type without
 * one); the argument checks still run first (a bad argument throws, as for
 * every type). The walks (getNextKey, lookupBatch) go over the indexes that
 * exist now: indexBound().
 */
export abstract class ArrayMapBase extends MapBase {
  /** Key bytes, read as a u32 through scratch32 (typed arrays use the platform's byte order, as the key's writer did). */
  protected readonly scratch = new Uint8Array(4);
  protected readonly scratch32 = new Uint32Array(this.scratch.buffer);

  /** How many indexes exist now: ARRAY's maxEntries, array_resize's current size. */
  protected abstract indexBound(): number;

  /** Copies index i's whole value (userValueSize bytes) into `out`; false when index i does not exist. */
  protected abstract readWhole(i: number, out: Uint8Array): boolean;

  protected indexOf(key: Uint8Array): number {
    this.scratch.set(key);
    return this.scratch32[0]!;
  }

  delete(key: Uint8Array): number {
    this.checkKey(key);
    return -Errno.EINVAL;
  }

  deleteU32(key: number): number {
    this.checkU32(key);
    return -Errno.EINVAL;
  }

  lookupAndDeleteInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    return -Errno.ENOTSUPP;
  }

  /** array_map_get_next_key over the indexes that exist: null or beyond -> 0, the last index -> -ENOENT. */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (key !== null) this.checkKey(key);
    else this.checkLive();
    if (!(next instanceof Uint8Array) || next.length !== 4) throw new TypeError('next must be a Uint8Array of 4 bytes');
    const size = this.indexBound();
    if (size === 0) return -Errno.ENOENT;
    const i = key === null ? size : this.indexOf(key);
    let n: number;
    if (i >= size) n = 0;
    else if (i === size - 1) return -Errno.ENOENT;
    else n = i + 1;
    new DataView(next.buffer, next.byteOffset, 4).setUint32(0, n, true);
    return 0;
  }

  /** generic_map_lookup_batch over the indexes that exist: the cursor is the next index; -ENOENT once the last one was copied. */
  lookupBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    this.checkLive();
    requireInt('count', count, 0, 2 ** 31);
    if (cursor !== null) requireInt('cursor', cursor, 0, 2 ** 32);
    const res: BatchResult = { err: 0, keys: [], values: [], count: 0, cursor };
    if ((opts.flags ?? 0) !== 0 || ((opts.elemFlags ?? 0) & ~BPF_F_LOCK) !== 0) return { ...res, err: -Errno.EINVAL };
    if (!this.userMayRead()) return { ...res, err: -Errno.EPERM };
    if (count === 0) return res;
    let i = cursor ?? 0;
    for (; res.count < count; i++) {
      const v = new Uint8Array(this.userValueSize);
      if (!this.readWhole(i, v)) return { ...res, err: -Errno.ENOENT, cursor: null };
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      res.keys.push(k);
      res.values.push(v);
      res.count++;
    }
    if (i >= this.indexBound()) return { ...res, err: -Errno.ENOENT, cursor: null };
    res.cursor = i;
    return res;
  }

  lookupAndDeleteBatch(cursor: number | null, count: number, _opts: BatchOptions = {}): BatchResult {
    this.checkLive();
    requireInt('count', count, 0, 2 ** 31);
    return { err: -Errno.ENOTSUPP, keys: [], values: [], count: 0, cursor };
  }
}
