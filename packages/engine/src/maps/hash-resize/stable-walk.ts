import type { QuiescenceDomain } from '../../rcu/domain.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import { type ChainedTable } from '../chained/table.js';
import { copyBytes } from '../../memory/byte-copy.js';
import type { ElementPool } from './pool.js';
import type { TableView, Tables } from './tables.js';

/** What the stable walk needs from its map. */
export interface StableWalkHost {
  readonly spec: NormalizedSpec;
  readonly domain: QuiescenceDomain;
  readonly tables: Tables;
  /** Brings this thread's view of the tables up to date. */
  refresh(): void;
}

export interface ScanResult {
  /** 0, or -EPERM. */
  err: number;
  /** Pass back to continue; 0 once the walk is complete (a walk starts at 0, as Redis SCAN's). */
  cursor: number;
  keys: Uint8Array[];
  /** Values, when asked for (else empty). */
  values: Uint8Array[];
  count: number;
  /** Hash classes visited by this call. */
  buckets: number;
  /** Visits read again because the table state moved under them. */
  retries: number;
}

/** Visits of one hash class that may find the table state moved before it is a bug, not bad luck. */
const MAX_RETRIES = 100_000;

/** The 32 bits of v in reverse order. */
export function reverseBits(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/**
 * Redis SCAN's cursor step: increments the cursor's bits under `mask` from
 * the top down (reverse binary). 0 when every class was visited.
 */
export function nextCursor(v: number, mask: number): number {
  v = (v | ~mask) >>> 0;
  v = reverseBits(v);
  v = (v + 1) >>> 0;
  return reverseBits(v);
}

/**
 * The stable walk: Redis SCAN's reverse-binary cursor over hash_resize's
 * power-of-two bucket space. A cursor names a hash class, the keys whose
 * hash has low bits `cursor & (small - 1)`, where `small` is the smaller of
 * the tables in use (CUR, and FUT during a resize). Counting in reverse
 * binary visits the classes so that after a grow the classes already
 * visited are exactly the refinements of those visited before, and after a
 * shrink a class is at worst visited again: so every key present for the
 * whole walk is returned at least once, across any number of grows and
 * shrinks (by 2x or by more), and a key may be returned more than once (a
 * shrink merges a visited class with one not yet visited).
 *
 * Each class is read in one piece, under the locks of every bucket that
 * can hold its keys: CUR's bucket(s) of the class first, in index order,
 * then FUT's (the lock order: old before new; a migrator holds one old
 * bucket and its new ones, so it cannot wait on us while holding what we
 * wait for). Nothing can then move a key of the class in or out (a relink
 * holds the old bucket, an insert or delete the bucket it writes). A MOVED
 * bucket where the view expects live ones means the view is stale: the
 * class is read again from the new state (counted in `retries`).
 *
 * getNextKey keeps kernel semantics (iteration.ts, best effort); this walk
 * is the separate call (HashResizeMap.scan).
 */
export class StableWalk {
  constructor(private readonly host: StableWalkHost) {}

  scan(cursor: number, count: number, withValues: boolean): ScanResult {
    if (!Number.isInteger(cursor) || cursor < 0 || cursor > 0xffffffff) throw new RangeError(`scan: cursor must be an integer in 0..2^32-1, got ${cursor}`);
    if (!Number.isInteger(count) || count < 1 || count > 2 ** 30) throw new RangeError(`scan: count must be an integer in 1..2^30, got ${count}`);
    const h = this.host;
    const res: ScanResult = { err: 0, cursor, keys: [], values: [], count: 0, buckets: 0, retries: 0 };
    let v = cursor >>> 0;
    let tries = 0;
    for (;;) {
      h.domain.readBegin();
      let mask: number;
      let ok: boolean;
      try {
        h.refresh();
        const cur = h.tables.cur;
        const fut = h.tables.fut;
        mask = (fut === null ? cur.nb : Math.min(cur.nb, fut.nb)) - 1;
        ok = this.visitClass((v & mask) as BucketIndex, cur, fut, res, withValues);
      } finally {
        h.domain.readEnd();
      }
      if (!ok) {
        res.retries++;
        if (++tries > MAX_RETRIES) throw new Error(`rightsize: hash_resize scan could not read a stable hash class in ${MAX_RETRIES} tries`);
        continue;
      }
      tries = 0;
      res.buckets++;
      v = nextCursor(v, mask);
      if (v === 0 || res.count >= count) break;
    }
    res.cursor = v;
    return res;
  }

  /** Reads class c's keys (c < the smaller table's buckets) under all its buckets' locks. False when the view was stale. */
  private visitClass(c: BucketIndex, cur: TableView, fut: TableView | null, res: ScanResult, withValues: boolean): boolean {
    const owner = this.host.domain.ownerId();
    const locked: [ChainedTable<ElementPool>, BucketIndex][] = [];
    const oldB: BucketIndex[] = [];
    const newB: BucketIndex[] = [];
    if (fut === null) oldB.push(c);
    else if (fut.nb >= cur.nb) {
      oldB.push(c);
      for (let b: number = c; b < fut.nb; b += cur.nb) newB.push(b as BucketIndex);
    } else {
      for (let b: number = c; b < cur.nb; b += fut.nb) oldB.push(b as BucketIndex);
      newB.push(c);
    }
    try {
      for (const b of oldB) {
        cur.t.lockBucket(b, owner);
        locked.push([cur.t, b]);
      }
      if (fut !== null) {
        for (const b of newB) {
          fut.t.lockBucket(b, owner);
          locked.push([fut.t, b]);
        }
      }
      // Stale views: an idle view whose bucket moved (a resize began and
      // relinked it), or a future table whose buckets moved on again.
      if (fut === null && cur.t.isMoved(c)) return false;
      if (fut !== null) for (const b of newB) if (fut.t.isMoved(b)) return false;
      const elems: ElementId[] = [];
      for (const [t, b] of locked) {
        if (t.isMoved(b)) continue;
        elems.length = 0;
        for (const e of t.chainLocked(b, elems)) this.take(t, e, res, withValues);
      }
      return true;
    } finally {
      for (let i = locked.length - 1; i >= 0; i--) locked[i]![0].unlockBucket(locked[i]![1]);
    }
  }

  private take(t: ChainedTable<ElementPool>, e: ElementId, res: ScanResult, withValues: boolean): void {
    const { keySize, valueSize } = this.host.spec;
    const k = new Uint8Array(keySize);
    t.copyKey(e, k);
    res.keys.push(k);
    if (withValues) {
      const v = new Uint8Array(valueSize);
      copyBytes(t.store.bytes(e), t.valueByteOffset(e), v, 0, valueSize);
      res.values.push(v);
    }
    res.count++;
  }
}
