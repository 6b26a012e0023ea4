import { BPF_F_LOCK, Errno } from '../../errno.js';
import { requireInt } from '../../spec/map-spec.js';
import { copyBytes } from '../../memory/byte-copy.js';
import type { BatchOptions, BatchResult } from '../map.js';
import type { BucketIndex, ElementId } from './ids.js';
import type { ChainedTable } from './table.js';

/** A hash map seen as buckets for the batch walk. */
export interface BucketWalk {
  readonly nBuckets: number;
  /** Quick lock-free hint that bucket b holds nothing (skipped without locking). */
  looksEmpty(b: BucketIndex): boolean;
  /**
   * Under bucket b's lock(s): when its entries fit in `room`, appends them to
   * `res` (and removes them when `del`). Returns how many entries the bucket
   * holds, whether or not they fitted.
   */
  collect(b: BucketIndex, room: number, res: BatchResult, del: boolean): number;
}

/**
 * The kernel's htab batch walk (`__htab_map_lookup_and_delete_batch`): whole
 * buckets at a time, the cursor is a bucket index. A first bucket that does not
 * fit in `count` is -ENOSPC; reaching the last bucket is -ENOENT, with whatever
 * was copied on the way; `count` 0 returns at once.
 */
export function walkBatch(walk: BucketWalk, cursor: number | null, count: number, opts: BatchOptions, del: boolean): BatchResult {
  requireInt('count', count, 0, 2 ** 31);
  if (cursor !== null) requireInt('cursor', cursor, 0, 2 ** 31);
  const res: BatchResult = { err: 0, keys: [], values: [], count: 0, cursor };
  if ((opts.flags ?? 0) !== 0 || ((opts.elemFlags ?? 0) & ~BPF_F_LOCK) !== 0) return { ...res, err: -Errno.EINVAL };
  if (count === 0) return res;
  let b = (cursor ?? 0) as BucketIndex;
  for (; b < walk.nBuckets; b++) {
    if (walk.looksEmpty(b)) continue;
    const room = count - res.count;
    const n = walk.collect(b, room, res, del);
    if (n > room) {
      if (res.count === 0) return { ...res, err: -Errno.ENOSPC };
      res.cursor = b;
      return res;
    }
  }
  res.err = -Errno.ENOENT;
  res.cursor = null;
  return res;
}

/** Under e's bucket lock: appends a copy of element e's key and of the first `valueBytes` of its value to `res` (one batch entry). */
export function pushEntryCopy<A>(t: ChainedTable<A>, e: ElementId, res: BatchResult, valueBytes: number): void {
  const k = new Uint8Array(t.store.layout.keySize);
  t.copyKey(e, k);
  const v = new Uint8Array(valueBytes);
  copyBytes(t.store.bytes(e), t.valueByteOffset(e), v, 0, valueBytes);
  res.keys.push(k);
  res.values.push(v);
  res.count++;
}
