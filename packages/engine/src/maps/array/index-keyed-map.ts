import { Errno } from '../../errno.js';
import { requireInt } from '../../spec/map-spec.js';
import { MapBase } from '../base.js';
import type { BatchOptions, BatchResult } from '../map.js';

/**
 * What the maps keyed by a u32 index share (ARRAY, PERCPU_ARRAY,
 * array_resize, array_of_maps): every index below indexBound() exists
 * (array_of_maps: empty or not), so getNextKey walks them all, as the
 * kernel's array_map_get_next_key does, and there is no lookup-and-delete
 * (-ENOTSUPP, the kernel's answer for these types). The argument checks
 * still run first: a bad argument throws, as for every type.
 */
export abstract class IndexKeyedMap extends MapBase {
  /** Key bytes, read as a u32 through scratch32 (typed arrays use the platform's byte order, as the key's writer did). */
  protected readonly scratch = new Uint8Array(4);
  protected readonly scratch32 = new Uint32Array(this.scratch.buffer);

  /** How many indexes exist now: maxEntries, or array_resize's current size. */
  protected abstract indexBound(): number;

  protected indexOf(key: Uint8Array): number {
    this.scratch.set(key);
    return this.scratch32[0]!;
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
