import { currentCpu } from '../../context.js';
import { BPF_EXIST, BPF_NOEXIST, Errno } from '../../errno.js';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import type { MapParts } from '../base.js';
import type { MapHandle, MapStats } from '../map.js';
import { HashMap } from '../hash/hash-map.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import type { ElemLayout } from '../chained/layout.js';
import type { LogRecord } from '../../recovery/log.js';
import { withAllBuckets } from '../chained/repair.js';
import { assertRepairLockHeld, lockChecksOn } from '../lock-contracts.js';
import { LRU_EXTRA_WORDS, LruLists, lruControlBytes, lruListCount, type LruCensus } from './lru-lists.js';

/** The LRU control segment's id (clear of HashMap's bucket and chunk ids). */
const SEG_LRU = 1 << 20;

/**
 * When every element of a list is momentarily taken by inserts in flight on
 * other CPUs (possible only when more CPUs insert at once than the list has
 * elements, or when a CPU died between taking an element and linking it), a
 * pop finds nothing to evict. It retries, sleeping briefly, for at most
 * POP_WAIT_MS, then reports -ENOMEM, the kernel's result when
 * prealloc_lru_pop finds no node.
 */
const POP_WAIT_MS = 500;
const POP_SLEEP_MS = 0.25;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * BPF_MAP_TYPE_LRU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH: a HASH map that
 * never refuses an insert for lack of room; it evicts (see lru-lists.ts for
 * the algorithm, the lists and the lock order).
 *
 * Kernel behaviour reproduced:
 * - a lookup from a program sets the entry's reference bit, a lookup from
 *   userspace does not (the syscall path uses the no-ref lookup);
 * - an update that replaces an existing key's value also sets its bit (the
 *   kernel marks the replacing node referenced);
 * - update flags: ANY, NOEXIST, EXIST only; BPF_F_LOCK is -EINVAL, as in
 *   htab_lru_map_update_elem (`map_flags > BPF_EXIST`);
 * - the element for a new key is taken (possibly evicting) before the bucket
 *   lock, and given back if the insert then fails.
 *
 * Where we differ: the kernel pops a node for every update, so replacing an
 * existing key in a full map evicts another entry; here an existing key is
 * rewritten in place (readers are protected by the bucket seqlock) and no
 * entry is evicted for it.
 */
export class LruHashMap extends HashMap {
  readonly lru: LruLists;
  /** Userspace's round-robin cursor over per-CPU lists (this thread's). */
  private cursor = 0;

  constructor(parts: MapParts, layout: ElemLayout) {
    super(parts, layout);
    const ctl = new Int32Array(this.segments.get(SEG_LRU));
    this.lru = new LruLists(ctl, this.table.store.words(0), layout.stride, this.table, this.domain, lruListCount(this.spec), this.header.words);
  }

  static override bytesAtCreate(spec: NormalizedSpec): number {
    return HashMap.bytesAtCreate(spec, LRU_EXTRA_WORDS) + lruControlBytes(spec);
  }

  static override create(spec: NormalizedSpec, domain: QuiescenceDomain): LruHashMap {
    const parts = HashMap.allocate(spec, domain, LRU_EXTRA_WORDS);
    const ctl = new SharedArrayBuffer(lruControlBytes(spec));
    parts.segments.publish(SEG_LRU, ctl);
    parts.header.addBytes(ctl.byteLength);
    const map = new LruHashMap(parts, HashMap.layoutFor(spec, LRU_EXTRA_WORDS));
    map.lru.init(spec.maxEntries);
    return map;
  }

  static override attach(h: MapHandle, parts: MapParts): LruHashMap {
    return new LruHashMap(parts, HashMap.layoutFor(h.spec, LRU_EXTRA_WORDS));
  }

  protected override onLookupHit(e: number): void {
    if (currentCpu() >= 0) this.lru.reference(e);
  }

  protected override releaseElement(e: ElementId, _owner: number): void {
    // Called under the bucket lock: the release stack takes no list lock.
    this.lru.release(e);
  }

  protected override updateHashed(h: number, value: Uint8Array, flags: number): number {
    const repairs = this.repairsRun;
    const r = this.updateLru(h, value, flags);
    // No element to pop while a dead CPU's pop was still held: the repair that
    // ran at the end of this update gave it back.
    if (r === -Errno.ENOMEM && this.repairsRun !== repairs) return this.updateLru(h, value, flags);
    return r;
  }

  private updateLru(h: number, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const t = this.table;
    const b = (h & t.mask) as BucketIndex;
    const owner = this.domain.ownerId();
    const rec = this.log.prepare(owner);
    const at = this.windowFrom();
    const len = this.valueSizeHere();
    // An existing key is rewritten in place: no element, no eviction. The
    // lock-free probe keeps new inserts to one bucket-lock round; a miss is
    // a linearizable "absent", so EXIST can fail on it.
    if (t.findElement(h, this.ks.words) >= 0) {
      t.lockBucket(b, owner);
      try {
        const e = t.findLocked(b, h, this.ks.words);
        if (e >= 0) return this.replaceLocked(b, e, value, flags, at, len, rec);
      } finally {
        t.unlockBucket(b);
        this.settle();
      }
    }
    if (flags === BPF_EXIST) return -Errno.ENOENT;

    // A new key: take an element first, with no bucket lock held (eviction
    // takes the victim's bucket lock, which may be this very bucket).
    const ne = this.popElement(owner);
    if (ne < 0) {
      this.settle();
      return -Errno.ENOMEM;
    }
    t.lockBucket(b, owner);
    let linked = false;
    try {
      const e = t.findLocked(b, h, this.ks.words);
      // Another CPU inserted the key meanwhile: the element goes back.
      if (e >= 0) return this.replaceLocked(b, e, value, flags, at, len, rec);
      t.linkNew(b, ne, h, this.ks.words, value, at, len);
      linked = true;
      this.lru.linked(ne);
      return 0;
    } finally {
      t.unlockBucket(b);
      if (!linked) this.lru.unpop(ne, owner);
      this.settle();
    }
  }

  /** Under the bucket lock: the key exists in element e. */
  private replaceLocked(b: BucketIndex, e: ElementId, value: Uint8Array, flags: number, at: number, len: number, rec: LogRecord): number {
    if (lockChecksOn()) this.table.assertBucketHeld(b);
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    this.table.writeValue(b, e, at, value, 0, len, rec);
    this.lru.reference(e);
    return 0;
  }

  /** An element for a new key from the caller's list (see "How CPUs share" in lru-lists.ts). */
  private popElement(owner: number): ElementId {
    const e = this.popOnce(owner);
    if (e >= 0) return e;
    const deadline = performance.now() + POP_WAIT_MS;
    while (performance.now() < deadline) {
      Atomics.wait(sleepCell, 0, 0, POP_SLEEP_MS);
      const again = this.popOnce(owner);
      if (again >= 0) return again;
    }
    return -1 as ElementId;
  }

  private popOnce(owner: number): ElementId {
    const lists = this.lru;
    const n = lists.nLists;
    if (n === 1) return lists.pop(0, owner, true);
    const cpu = currentCpu();
    if (cpu >= 0) {
      if (cpu >= n) throw new RangeError(`CPU ${cpu} is out of range for an LRU map with ${n} per-CPU lists (nCpus ${this.spec.nCpus})`);
      return lists.pop(cpu, owner, true);
    }
    for (let i = 0; i < n; i++) {
      const l = (this.cursor + i) % n;
      if (lists.mayHaveFree(l)) {
        const e = lists.pop(l, owner, false);
        if (e >= 0) return e;
      }
    }
    const l = this.cursor;
    this.cursor = (this.cursor + 1) % n;
    return lists.pop(l, owner, true);
  }

  /** As HashMap's, and from a program it also counts as the lookup that found the value. */
  override atomicAdd(key: Uint8Array, byteOffset: number, delta: number): number {
    const r = super.atomicAdd(key, byteOffset, delta);
    if (r === 0 && currentCpu() >= 0) {
      const e = this.table.findElement(this.hashBytes(key), this.ks.words);
      if (e >= 0) this.lru.reference(e);
    }
    return r;
  }

  /**
   * After a death: every list lock, then every bucket lock (the lock order),
   * and every list is rebuilt from the chains (lru-lists.ts): elements dead
   * CPUs popped and never linked, or unlinked and never released, come back.
   */
  protected override repairLocked(): number {
    assertRepairLockHeld(this.header, this.domain);
    const owner = this.domain.ownerId();
    const lists = Array.from({ length: this.lru.nLists }, (_, l) => l);
    let held = 0;
    try {
      for (; held < lists.length; held++) this.lru.lockList(held, owner);
      return withAllBuckets(this.table, owner, () => this.lru.rebuildLocked(lists));
    } finally {
      for (let l = 0; l < held; l++) this.lru.unlockList(l);
    }
  }

  /** Walks every list under its lock: where each element of its pool is (consistency checks). */
  lruCensus(): LruCensus[] {
    this.checkLive();
    const owner = this.domain.ownerId();
    const out: LruCensus[] = [];
    for (let l = 0; l < this.lru.nLists; l++) out.push(this.lru.census(l, owner));
    return out;
  }

  override stats(): MapStats {
    const c = this.lru.counters();
    return {
      type: this.spec.type,
      entries: c.entries,
      maxEntries: this.spec.maxEntries,
      buckets: this.table.nBuckets,
      bytes: this.header.heldBytes(),
      prealloc: true,
      lists: this.lru.nLists,
      commonLru: !this.spec.flags.noCommonLru,
      evictions: c.evictions,
      secondChances: c.secondChances,
    };
  }
}
