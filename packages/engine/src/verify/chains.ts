import { hashKey } from '../hash/hasher.js';
import type { QuiescenceDomain } from '../rcu/domain.js';
import type { ElementAllocator } from '../maps/chained/allocator.js';
import type { ElementId } from '../maps/chained/ids.js';
import { AUX, HASH, NEXT, nullsOf } from '../maps/chained/layout.js';
import { BUCKET_WORDS, HEAD, LOCK, MOVED, SEQ, type ChainedTable } from '../maps/chained/table.js';
import { describeLock } from './owners.js';
import type { Findings } from './report.js';

/** What a walk of every chain of a table found. */
export interface ChainWalk {
  /** reached[e] is 1 when element e is linked in a chain. */
  readonly reached: Uint8Array;
  /** Elements linked in chains. */
  linked: number;
  /** Buckets whose HEAD is MOVED (hash_resize: migrated to the next table). */
  moved: number;
}

export interface ChainOptions {
  /** Elements the pool has: an index at or past it is corrupt. */
  capacity: number;
  /** The map's hash seed: every key is hashed again and compared with the stored hash. */
  seed: number;
  /** Whether a bucket may be MOVED (a hash_resize table being migrated away from). */
  allowMoved: boolean;
  domain: QuiescenceDomain;
}

/**
 * Walks every bucket of a chained table (hash, percpu_hash, the LRU types, a
 * hash_resize table) with plain reads, taking no lock: the map must be
 * quiescent. Checks, per bucket: the lock is free, the seqlock is even, the
 * chain ends on this bucket's own nulls terminator (or the bucket is MOVED
 * where that is allowed), no element is reached twice (a cycle, or two chains
 * sharing an element), every element's stored hash is its key's hash and
 * selects this bucket, and no key appears twice in the chain (equal keys have
 * equal hashes, so they could only meet in one chain).
 */
export function walkChains(f: Findings, label: string, t: ChainedTable<unknown>, o: ChainOptions): ChainWalk {
  const walk: ChainWalk = { reached: new Uint8Array(o.capacity), linked: 0, moved: 0 };
  const bk = t.buckets;
  const store = t.store;
  const keySize = store.layout.keySize;
  const keyA = new Uint8Array(keySize);
  const keyB = new Uint8Array(keySize);
  const chain: ElementId[] = [];
  for (let b = 0; b < t.nBuckets; b++) {
    const bi = b * BUCKET_WORDS;
    const lockWord = Atomics.load(bk, bi + LOCK);
    if (lockWord !== 0) f.problem(`${label} bucket ${b}: lock ${describeLock(o.domain, lockWord)} while the map is quiescent`);
    const seq = Atomics.load(bk, bi + SEQ);
    if ((seq & 1) !== 0) f.problem(`${label} bucket ${b}: seqlock ${seq} is odd (a write section never closed)`);
    const head = Atomics.load(bk, bi + HEAD);
    if (head === MOVED) {
      if (!o.allowMoved) f.problem(`${label} bucket ${b}: MOVED, but no resize is under way from this table`);
      walk.moved++;
      continue;
    }
    chain.length = 0;
    let e = head as ElementId;
    let broken = false;
    while (e >= 0) {
      if (e >= o.capacity) {
        f.problem(`${label} bucket ${b}: chain points at element ${e}, outside the pool of ${o.capacity}`);
        broken = true;
        break;
      }
      if (walk.reached[e] !== 0) {
        f.problem(`${label} bucket ${b}: element ${e} is reached twice (a cycle, or two chains share it)`);
        broken = true;
        break;
      }
      walk.reached[e] = 1;
      walk.linked++;
      const w = store.words(e);
      const base = store.base(e);
      const stored = w[base + HASH]!;
      if ((stored & t.mask) !== b) f.problem(`${label} bucket ${b}: element ${e} has hash ${stored >>> 0}, which selects bucket ${stored & t.mask}`);
      t.copyKey(e, keyA);
      const actual = hashKey(keyA, o.seed) | 0;
      if (actual !== stored) f.problem(`${label} bucket ${b}: element ${e} stores hash ${stored >>> 0} but its key hashes to ${actual >>> 0}`);
      for (const other of chain) {
        if (t.hashOf(other) !== stored) continue;
        t.copyKey(other, keyB);
        if (sameBytes(keyA, keyB)) f.problem(`${label} bucket ${b}: elements ${other} and ${e} hold the same key`);
      }
      chain.push(e);
      e = w[base + NEXT]! as ElementId;
    }
    if (!broken && e !== nullsOf(b)) {
      f.problem(`${label} bucket ${b}: chain ends on ${e} (the nulls of bucket ${~e}), not on its own terminator ${nullsOf(b)}`);
    }
  }
  f.count('buckets', t.nBuckets);
  f.count('elements', walk.linked);
  return walk;
}

export interface PoolOptions {
  /**
   * What the allocator's live count must equal: 'linked' (every allocated
   * element is in a chain: a quiescent table), or 'allocated' (handed out
   * minus freed: a table being migrated away from, whose moved elements are
   * no longer in any chain but stay allocated until the table is retired).
   */
  count: 'linked' | 'allocated';
  domain: QuiescenceDomain;
}

/**
 * The element pool of an ElementAllocator: the free list, the linked
 * elements and the never-handed-out tail (bump .. capacity) must account for
 * the whole pool. An element both free and linked is a double use; free
 * twice, a double free; neither (below bump), a leak; and the live count
 * must agree.
 */
export function checkPool(f: Findings, label: string, alloc: ElementAllocator, walk: ChainWalk, o: PoolOptions): void {
  const capacity = alloc.capacity();
  const bump = alloc.bump();
  const lockWord = alloc.lockWord();
  if (lockWord !== 0) f.problem(`${label} allocator: lock ${describeLock(o.domain, lockWord)} while the map is quiescent`);
  if (bump < 0 || bump > capacity) f.problem(`${label} allocator: bump ${bump} is outside 0..${capacity}`);
  const onFree = new Uint8Array(capacity);
  let freeCount = 0;
  const store = alloc.store;
  for (let e = alloc.freeHead(); e >= 0; e = store.words(e)[store.base(e) + AUX]!) {
    if (e >= capacity || e >= bump) {
      f.problem(`${label} allocator: free list holds element ${e}, never handed out (bump ${bump})`);
      break;
    }
    if (onFree[e] !== 0) {
      f.problem(`${label} allocator: element ${e} is on the free list twice (a double free, or a cycle)`);
      break;
    }
    onFree[e] = 1;
    freeCount++;
    if (walk.reached[e] !== 0) f.problem(`${label} allocator: element ${e} is on the free list and linked in a chain`);
  }
  let leaked = 0;
  const firstLeaks: number[] = [];
  for (let e = 0; e < Math.min(bump, capacity); e++) {
    if (walk.reached[e] === 0 && onFree[e] === 0) {
      leaked++;
      if (firstLeaks.length < 8) firstLeaks.push(e);
    }
  }
  const allocated = bump - freeCount;
  if (o.count === 'linked') {
    if (leaked > 0) f.problem(`${label} allocator: ${leaked} element(s) neither linked nor free (leaked), e.g. ${firstLeaks.join(', ')}`);
    if (alloc.entries() !== walk.linked) f.problem(`${label} allocator: live count ${alloc.entries()}, but ${walk.linked} elements are linked`);
  } else if (alloc.entries() !== allocated) {
    f.problem(`${label} allocator: live count ${alloc.entries()}, but ${allocated} elements are handed out and not freed`);
  }
  if (alloc.entries() > alloc.limit) f.problem(`${label} allocator: live count ${alloc.entries()} is over the bound ${alloc.limit}`);
  f.count('freeElements', freeCount);
  f.count('poolElements', capacity);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
