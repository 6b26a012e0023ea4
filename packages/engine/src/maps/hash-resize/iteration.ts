import { Errno } from '../../errno.js';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import { pushEntryCopy, walkBatch, type BucketWalk } from '../chained/batch.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import { BUCKET_WORDS, HEAD, MOVED, type ChainedTable } from '../chained/table.js';
import { copyBytes } from '../../memory/byte-copy.js';
import type { BatchOptions, BatchResult } from '../map.js';
import { CUR, EPOCH, FUT, ITER_RESTARTS } from './layout.js';
import type { ElementPool } from './pool.js';
import type { Tables } from './tables.js';

/** What iteration needs from its map. */
export interface IterationHost {
  readonly spec: NormalizedSpec;
  readonly words: Int32Array;
  readonly domain: QuiescenceDomain;
  readonly tables: Tables;
  /** The map's (signed) hash of a key. */
  hashOf(key: Uint8Array): number;
  /** Deletes a key the batch walk returns (never -EBUSY: deletes of existing keys work during a resize). */
  deleteReturned(key: Uint8Array): void;
  /** After a whole lookupAndDeleteBatch walk: the shrink its deletes may call for. */
  walkDeleted(): void;
}

interface Entry {
  h: number;
  k: Uint8Array;
  v: Uint8Array | null;
}

/**
 * Best-effort iteration (getNextKey, the batch walks), as the kernel's
 * during a resize: a walk follows CUR's buckets ("virtual buckets"); a key
 * of virtual bucket vb is in CUR's bucket vb, or in the future table
 * (moved there, or inserted there during the resize). A walk that sees the
 * table state change between two calls may skip or repeat keys: counted in
 * ITER_RESTARTS, never hidden. Within one table state every key present
 * throughout is returned exactly once.
 */
export class Iteration {
  /** Epoch seen by the last getNextKey in this thread (a restart is counted when it moved). */
  private iterEpoch = -1;
  /** Epoch seen by the last batch walk in this thread (a cursor from another table is counted as a restart). */
  private batchEpoch = -1;
  /** Scratch for collectAtRest's chain (one per thread: a walk is never nested). */
  private readonly chain: ElementId[] = [];

  constructor(private readonly host: IterationHost) {}

  /**
   * The entries of virtual bucket vb of CUR: its own chain when not yet
   * migrated, and the future table's entries that belong to it (a grow
   * splits vb in two, a shrink merges it with a sibling: filtered by hash).
   * Each visited bucket is locked while read, one at a time. An element
   * relinked between the two reads is seen twice: the callers keep each key
   * once. Returns false when the table state changed under us (the caller
   * restarts).
   */
  private visitVirtual(vb: BucketIndex, fn: (t: ChainedTable<ElementPool>, e: ElementId) => void): boolean {
    const tables = this.host.tables;
    const cur = tables.cur;
    const ct = cur.t;
    const owner = this.host.domain.ownerId();
    ct.lockBucket(vb, owner);
    let moved: boolean;
    try {
      moved = ct.isMoved(vb);
      if (!moved) for (const e of ct.chainLocked(vb, [])) fn(ct, e);
    } finally {
      ct.unlockBucket(vb);
    }
    const fut = tables.fut;
    if (fut === null) return !moved;
    const ft = fut.t;
    // A grow (by 2x, by up to 8x or to its floor from the adaptive controller) splits vb over
    // fut.nb / cur.nb buckets; a shrink merges it into one.
    const targets: BucketIndex[] = [];
    if (fut.nb > cur.nb) for (let nb: number = vb; nb < fut.nb; nb += cur.nb) targets.push(nb as BucketIndex);
    else targets.push((vb & ft.mask) as BucketIndex);
    for (const nb of targets) {
      ft.lockBucket(nb, owner);
      try {
        if (ft.isMoved(nb)) return false;
        for (const e of ft.chainLocked(nb, [])) if ((ft.hashOf(e) & ct.mask) === vb) fn(ft, e);
      } finally {
        ft.unlockBucket(nb);
      }
    }
    return true;
  }

  /**
   * The entries of virtual bucket vb (copied under the bucket locks), each
   * key once, in a fixed order: hash, then key bytes. Chain order would not
   * do: a relink moves entries to the head of their new chain and a grow
   * splits the bucket in two, so a walk resuming "after key k" in chain
   * order would repeat or skip keys of a bucket migrated between two calls,
   * within one table state. Null when the table state changed under the visit.
   */
  private sortedVirtual(vb: BucketIndex, withValues: boolean): Entry[] | null {
    const { keySize, valueSize } = this.host.spec;
    const out: Entry[] = [];
    const ok = this.visitVirtual(vb, (t, e) => {
      const k = new Uint8Array(keySize);
      t.copyKey(e, k);
      let v: Uint8Array | null = null;
      if (withValues) {
        v = new Uint8Array(valueSize);
        copyBytes(t.store.bytes(e), t.valueByteOffset(e), v, 0, valueSize);
      }
      out.push({ h: t.hashOf(e) >>> 0, k, v });
    });
    if (!ok) return null;
    out.sort((a, b) => a.h - b.h || compareBytes(a.k, b.k));
    return out.filter((x, i) => i === 0 || x.h !== out[i - 1]!.h || compareBytes(x.k, out[i - 1]!.k) !== 0);
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    const h = this.host;
    h.domain.readBegin();
    try {
      for (let attempt = 0; attempt < 64; attempt++) {
        h.tables.refresh();
        if (key !== null && this.iterEpoch !== -1 && this.iterEpoch !== h.tables.epoch) Atomics.add(h.words, ITER_RESTARTS, 1);
        this.iterEpoch = h.tables.epoch;
        const r = this.nextKeyOnce(key, next);
        if (r !== null) return r;
      }
      throw new Error('rightsize: hash_resize getNextKey could not find a stable table in 64 attempts');
    } finally {
      h.domain.readEnd();
    }
  }

  /** One attempt; null when the table state changed mid-way. */
  private nextKeyOnce(key: Uint8Array | null, next: Uint8Array): number | null {
    const nbCur = this.host.tables.cur.nb;
    let vb = 0 as BucketIndex;
    if (key !== null) {
      const hash = this.host.hashOf(key);
      vb = (hash & (nbCur - 1)) as BucketIndex;
      const entries = this.sortedVirtual(vb, false);
      if (entries === null) return null;
      const pos = entries.findIndex((x) => x.h === hash >>> 0 && compareBytes(x.k, key) === 0);
      if (pos >= 0) {
        if (pos + 1 < entries.length) {
          next.set(entries[pos + 1]!.k);
          return 0;
        }
        vb++;
      } else {
        // A key that is not in the map restarts the walk, as the kernel's does.
        vb = 0 as BucketIndex;
      }
    }
    for (; vb < nbCur; vb++) {
      const entries = this.sortedVirtual(vb, false);
      if (entries === null) return null;
      if (entries.length > 0) {
        next.set(entries[0]!.k);
        return 0;
      }
    }
    return -Errno.ENOENT;
  }

  batch(cursor: number | null, count: number, opts: BatchOptions, del: boolean): BatchResult {
    const h = this.host;
    h.domain.readBegin();
    try {
      h.tables.refresh();
      // A cursor is a bucket index of the table it was made in: if the table
      // changed since this thread's last batch, the walk may skip or repeat
      // buckets. Best effort, as the docs say, but counted, not hidden.
      if (cursor !== null && this.batchEpoch !== -1 && this.batchEpoch !== h.tables.epoch) Atomics.add(h.words, ITER_RESTARTS, 1);
      const res = walkBatch(this.virtualWalk(), cursor, count, opts, del);
      h.tables.refresh();
      this.batchEpoch = h.tables.epoch;
      if (del && res.cursor === null) h.walkDeleted();
      return res;
    } finally {
      h.domain.readEnd();
    }
  }

  /**
   * collect for a table at rest, the common case: with no resize under way
   * (FUT is 0, read under vb's lock) and this thread's CUR still the map's,
   * CUR's bucket vb holds every key of virtual bucket vb. A key leaves it, or
   * one of its keys lands in a future table, only after a resize publishes
   * FUT, which that read under the lock orders after this copy. So the chain
   * is copied as HASH's batch walk copies it: no future table to visit, no
   * duplicates to sort out, no entry objects. -1 when a resize is under way
   * or the view is stale (the caller takes the general path).
   */
  private collectAtRest(vb: BucketIndex, room: number, res: BatchResult): number {
    const h = this.host;
    const cur = h.tables.cur;
    const t = cur.t;
    t.lockBucket(vb, h.domain.ownerId());
    try {
      if (Atomics.load(h.words, FUT) !== 0 || Atomics.load(h.words, CUR) !== cur.id) return -1;
      const chain = t.chainLocked(vb, this.chain);
      if (chain.length > room) return chain.length;
      for (const e of chain) pushEntryCopy(t, e, res, h.spec.valueSize);
      return chain.length;
    } finally {
      t.unlockBucket(vb);
    }
  }

  /**
   * CUR's virtual buckets for walkBatch. A bucket is collected whole: its
   * entries are gathered first, then (when they fit) copied and, for
   * lookupAndDelete, deleted through the normal delete path.
   */
  private virtualWalk(): BucketWalk {
    const h = this.host;
    const nBuckets = h.tables.cur.nb;
    const startEpoch = h.tables.epoch;
    return {
      nBuckets,
      looksEmpty: (vb) => {
        if (h.tables.fut !== null) return false;
        const head = h.tables.cur.t.buckets[vb * BUCKET_WORDS + HEAD]!;
        return head < 0 && head !== MOVED;
      },
      collect: (vb, room, res, del) => {
        if (Atomics.load(h.words, EPOCH) !== h.tables.epoch) h.tables.refresh();
        if (h.tables.epoch !== startEpoch || vb >= h.tables.cur.nb) Atomics.add(h.words, ITER_RESTARTS, 1);
        if (vb >= h.tables.cur.nb) return 0;
        const first = res.count;
        const n = h.tables.fut === null ? this.collectAtRest(vb, room, res) : -1;
        if (n >= 0) {
          if (del) for (let i = first; i < res.count; i++) h.deleteReturned(res.keys[i]!);
          return n;
        }
        let entries: Entry[] | null = null;
        for (let attempt = 0; entries === null; attempt++) {
          if (attempt > 64) throw new Error('rightsize: hash_resize batch could not read a stable bucket');
          entries = this.sortedVirtual(vb, true);
          if (entries === null) h.tables.refresh();
        }
        if (entries.length > room) return entries.length;
        for (const x of entries) {
          res.keys.push(x.k);
          res.values.push(x.v!);
          res.count++;
          if (del) h.deleteReturned(x.k);
        }
        return entries.length;
      },
    };
  }
}

/** Lexicographic order of two byte strings of the same length. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
