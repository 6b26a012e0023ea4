import { BPF_F_LOCK, Errno } from '../../errno.js';
import { requireInt } from '../../spec/map-spec.js';
import type { BatchOptions, BatchResult } from '../map.js';
import { IndexKeyedMap } from './index-keyed-map.js';

/**
 * What ARRAY, PERCPU_ARRAY and array_resize share besides their index keys
 * (IndexKeyedMap): every index that exists holds a value, so nothing can be
 * deleted (delete is -EINVAL, the kernel's array_map_delete_elem), and a
 * batch lookup copies every index in order.
 */
export abstract class ArrayMapBase extends IndexKeyedMap {
  /** Copies index i's whole value (userValueSize bytes) into `out`; false when index i does not exist. */
  protected abstract readWhole(i: number, out: Uint8Array): boolean;

  delete(key: Uint8Array): number {
    this.checkKey(key);
    return -Errno.EINVAL;
  }

  deleteU32(key: number): number {
    this.checkU32(key);
    return -Errno.EINVAL;
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
}
