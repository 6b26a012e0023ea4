import { Errno } from '../../errno.js';
import { requireInt } from '../../spec/map-spec.js';
import { MapBase } from '../base.js';
import type { BatchOptions, BatchResult } from '../map.js';

/**
 * What ARRAY, PERCPU_ARRAY and array_resize share: every index below the
 * size always exists, so nothing can be deleted. delete is -EINVAL (the
 * kernel's array_map_delete_elem), and arrays have no lookup-and-delete
 * (-ENOTSUPP, the kernel's answer for a map type without one). The argument
 * checks still run first: a bad argument throws, as for every type.
 */
export abstract class ArrayMapBase extends MapBase {
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

  lookupAndDeleteBatch(cursor: number | null, count: number, _opts: BatchOptions = {}): BatchResult {
    this.checkLive();
    requireInt('count', count, 0, 2 ** 31);
    return { err: -Errno.ENOTSUPP, keys: [], values: [], count: 0, cursor };
  }
}
