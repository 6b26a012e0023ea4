/**
 * The LRU lists of lru_hash and lru_percpu_hash: which element an insert
 * takes, and which live entry it evicts when none is free.
 *
 * ## Pools, lists and free lists
 *
 * Every element of the map's preallocated pool belongs, for the map's whole
 * life, to one LRU list: the common list (default: all maxEntries elements),
 * or with `noCommonLru` one list per CPU, each owning an even share of the
 * pool (maxEntries / nCpus, the first maxEntries % nCpus lists one more), as
 * the kernel's per-CPU LRU splits its nodes. A list holds
 *   - the in-use list: elements handed to an insert, youngest first, oldest
 *     last. An element joins it at the young end when an insert takes it (so
 *     insertion order is LRU order), before it is linked into its bucket;
 *   - the free list: elements nobody uses;
 *   - the release stack: elements a delete unlinked from their bucket. A
 *     delete runs under its bucket lock and must not take the list lock (see
 *     the lock order below), so it pushes the element here with a
 *     compareExchange; the next pop moves the whole stack to the free list
 *     under the list lock before it looks for an element.
 *
 * ## One pop
 *
 * Under the list lock: drain the release stack; take a free element if there
 * is one; otherwise evict exactly one live entry (one eviction round frees
 * exactly the one element the insert needs, so a full map always holds
 * maxEntries live entries and `evictions` counts exactly the inserts that
 * needed room; the kernel frees batches of up to LOCAL_FREE_TARGET = 128
 * (common) or PERCPU_FREE_TARGET = 4 (per-CPU) nodes to cut lock traffic, at
 * the price of a full map holding fewer live entries than maxEntries).
 *
 * Eviction is second chance (CLOCK), walking from the oldest end:
 *   - an element whose reference bit is set (a program looked it up, or an
 *     update replaced its value) gets a second chance: the bit is cleared and
 *     the element moves to the young end;
 *   - the first unreferenced element is the victim: its bucket lock is taken,
 *     it is unlinked from its chain (inside the bucket's seqlock section, so a
 *     reader standing on it retries), and it is handed to the insert;
 *   - an element that is in the in-use list but not in its bucket's chain (an
 *     insert on another CPU took it and has not linked it yet, or a delete
 *     unlinked it and has not released it yet) is skipped.
 * When every entry is referenced, the first pass clears every bit and the
 * second pass evicts the oldest: a referenced entry is evicted only when
 * nothing else is left. The walk is bounded by 2 x in-use + 2 steps; its
 * amortized cost is O(1) per pop, since every second chance consumes a
 * reference bit that one lookup or update set.
 *
 * ## How CPUs share
 *
 * Common LRU: every CPU and userspace pops from the one list, under its one
 * lock (the kernel adds per-CPU caches of free nodes in front of it; we keep
 * the single list, see above). Per-CPU LRU (`noCommonLru`): a program on CPU
 * c pops from list c only and evicts only its own entries, as the kernel's
 * bpf_percpu_lru_pop_free does with the current CPU. Userspace has no CPU of
 * its own here: it takes a free element from the first list that has one,
 * scanning round-robin from a per-thread cursor, and when every list is full
 * evicts from the list at the cursor and advances the cursor. So a userspace
 * loader can fill the whole map (the kernel uses whichever CPU the syscall
 * runs on, and a loader pinned to one CPU fills that CPU's share only).
 * Deletes return an element to the list that owns it, whoever deletes.
 *
 * ## Lock order
 *
 *   LRU list lock  ->  bucket lock
 *
 * Only eviction holds both: it takes the victim's bucket lock while holding
 * the list lock. Nothing that holds a bucket lock takes a list lock: inserts
 * pop an element before taking their bucket lock and give it back (release
 * stack) if the insert then fails; deletes release through the stack. At
 * most one list lock and one bucket lock are held at a time, so no cycle can
 * form. The element allocator of HashMap is not used by LRU maps.
 *
 * ## Shared words
 *
 * Each list's control words sit in their own 64-byte line of the map's LRU
 * segment (lock, list ends, counters), so CPUs working on different lists
 * never share a line. Element words (in the element's EXTRA area):
 * OLDER/NEWER (in-use list links; OLDER is the free-list link while free),
 * REF (the reference bit), LIST (owning list), STACK (release-stack link;
 * while an element is popped for an insert and not yet linked, its popper's
 * owner id, tagged below -1 so it is never mistaken for a link).
 *
 * ## A CPU that dies (see recovery/log.ts)
 *
 * A list lock taken over from a dead owner may guard a list the owner was
 * relinking: the new holder rebuilds the list at once (under every bucket
 * lock, which the lock order allows), before using it. An element a dead
 * CPU popped and never linked, or unlinked and never released, is given back
 * by the map's repair after the death: it rebuilds every list from the
 * chains, keeping only elements that are linked or popped by a live CPU.
 */
import { lockRecover, unlock, type LockOwners } from '../../locks/bucket-lock.js';
import { markLinked, withAllBuckets } from '../chained/repair.js';
import { W_LOCKS_RECOVERED } from '../header.js';
import { LINE_WORDS } from '../../memory/segments.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import { FIXED_WORDS, HASH } from '../chained/layout.js';
import type { ChainedTable } from '../chained/table.js';
import { assertHeld, lockChecksOn } from '../lock-contracts.js';

/** Words LRU maps add to every element (see HashMap.layoutFor). */
export const LRU_EXTRA_WORDS = 5;
export const OLDER = FIXED_WORDS;
export const NEWER = FIXED_WORDS + 1;
export const REF = FIXED_WORDS + 2;
export const LIST = FIXED_WORDS + 3;
export const STACK = FIXED_WORDS + 4;

// A list's control line. Words written under the list lock are plain; the
// ones read or written without it (release stack, entries) use Atomics.
export const L_LOCK = 0;
export const L_YOUNG = 1;
export const L_OLD = 2;
export const L_INUSE = 3;
export const L_FREE = 4;
export const L_NFREE = 5;
export const L_STACK = 6;
export const L_ENTRIES = 7;
/** Evictions: a 64-bit counter, low word here, high word at L_EVICT_LO + 1 (readWide / bumpWide). */
const L_EVICT_LO = 8;
/** Second chances given: likewise, words 10 and 11. */
const L_CHANCE_LO = 10;
export const L_POOL = 12;

/** STACK of an element not popped (or linked since): not a popper's tag. */
const UNTAGGED = -1;

/** STACK of an element popped by `owner` for an insert not yet linked (always <= -3). */
function popTag(owner: number): number {
  return -3 - owner;
}

/** Lists of a spec: one common list, or one per CPU with noCommonLru. */
export function lruListCount(spec: NormalizedSpec): number {
  return spec.flags.noCommonLru ? spec.nCpus : 1;
}

/** Bytes of the LRU control segment: one cache line per list. */
export function lruControlBytes(spec: NormalizedSpec): number {
  return lruListCount(spec) * LINE_WORDS * 4;
}

/** Where the elements of one list's pool are (see LruLists.census). */
export interface LruCensus {
  pool: number;
  inUse: number;
  inUseCount: number;
  free: number;
  freeCount: number;
  released: number;
  entries: number;
}

export interface LruCounters {
  entries: number;
  evictions: number;
  secondChances: number;
}

export class LruLists {
  constructor(
    /** The LRU control segment (one line per list). */
    readonly ctl: Int32Array,
    /** Element words (the preallocated pool is one chunk). */
    readonly ew: Int32Array,
    readonly stride: number,
    readonly table: ChainedTable,
    readonly owners: LockOwners,
    readonly nLists: number,
    /** The map header's words, where lock takeovers are counted (null: not counted). */
    private readonly recoveryCounters: Int32Array | null = null,
  ) {}

  /** Splits a fresh pool of `maxEntries` elements across the lists, every element free. */
  init(maxEntries: number): void {
    const { ctl, ew, stride, nLists } = this;
    let start = 0;
    for (let l = 0; l < nLists; l++) {
      const at = l * LINE_WORDS;
      const pool = Math.floor(maxEntries / nLists) + (l < maxEntries % nLists ? 1 : 0);
      ctl[at + L_YOUNG] = -1;
      ctl[at + L_OLD] = -1;
      ctl[at + L_STACK] = -1;
      ctl[at + L_POOL] = pool;
      ctl[at + L_NFREE] = pool;
      // Pushed in reverse so that pops hand elements out in index order.
      let free = -1;
      for (let e = start + pool - 1; e >= start; e--) {
        ew[e * stride + LIST] = l;
        ew[e * stride + OLDER] = free;
        free = e;
      }
      ctl[at + L_FREE] = free;
      start += pool;
    }
  }

  /** Whether list l may have a free element (a hint read without the lock). */
  mayHaveFree(l: number): boolean {
    const at = l * LINE_WORDS;
    return Atomics.load(this.ctl, at + L_NFREE) > 0 || Atomics.load(this.ctl, at + L_STACK) >= 0;
  }

  /**
   * An element of list l for an insert, already in the in-use list (young
   * end, reference bit clear) and not in any bucket; -1 when list l has no
   * free element and (with `mayEvict`) no evictable entry. The caller holds
   * no bucket lock.
   */
  pop(l: number, owner: number, mayEvict: boolean): ElementId {
    const { ctl, ew, stride } = this;
    const at = l * LINE_WORDS;
    this.lockList(l, owner);
    try {
      this.drainLocked(at);
      let e = ctl[at + L_FREE]! as ElementId;
      if (e >= 0) {
        ctl[at + L_FREE] = ew[e * stride + OLDER]!;
        Atomics.store(ctl, at + L_NFREE, ctl[at + L_NFREE]! - 1);
      } else {
        if (!mayEvict) return -1 as ElementId;
        e = this.evictLocked(at, owner);
        if (e < 0) return -1 as ElementId;
      }
      ew[e * stride + REF] = 0;
      ew[e * stride + STACK] = popTag(owner);
      this.addYoungLocked(at, e);
      ctl[at + L_INUSE] = ctl[at + L_INUSE]! + 1;
      return e;
    } finally {
      unlock(ctl, at + L_LOCK);
    }
  }

  /** An element taken by pop is now linked in its bucket: it is a live entry. */
  linked(e: number): void {
    Atomics.add(this.ctl, this.ew[e * this.stride + LIST]! * LINE_WORDS + L_ENTRIES, 1);
    this.ew[e * this.stride + STACK] = UNTAGGED;
  }

  /** A live entry was unlinked from its bucket by a delete (the caller may hold the bucket lock). */
  release(e: number): void {
    Atomics.sub(this.ctl, this.ew[e * this.stride + LIST]! * LINE_WORDS + L_ENTRIES, 1);
    this.pushStack(e);
  }

  /**
   * An element taken by pop was never linked (the insert failed): back to its
   * list's free list, under the list lock (the caller holds no bucket lock).
   */
  unpop(e: number, owner: number): void {
    const { ctl, ew, stride } = this;
    const l = ew[e * stride + LIST]!;
    const at = l * LINE_WORDS;
    this.lockList(l, owner);
    try {
      this.removeLocked(at, e);
      ctl[at + L_INUSE] = ctl[at + L_INUSE]! - 1;
      ew[e * stride + STACK] = UNTAGGED;
      ew[e * stride + OLDER] = ctl[at + L_FREE]!;
      ctl[at + L_FREE] = e;
      Atomics.store(ctl, at + L_NFREE, ctl[at + L_NFREE]! + 1);
    } finally {
      unlock(ctl, at + L_LOCK);
    }
  }

  /**
   * A lookup found e: set its reference bit. Plain read and write, no lock: a
   * lost or stray bit only changes which entry gets a second chance (the
   * kernel's bpf_lru_node_set_ref is the same), and reading first keeps a hot
   * entry's line clean.
   */
  reference(e: number): void {
    const i = e * this.stride + REF;
    if (this.ew[i] === 0) this.ew[i] = 1;
  }

  counters(): LruCounters {
    const c = this.ctl;
    let entries = 0;
    let evictions = 0;
    let secondChances = 0;
    for (let l = 0; l < this.nLists; l++) {
      const at = l * LINE_WORDS;
      entries += Atomics.load(c, at + L_ENTRIES);
      evictions += readWide(c, at + L_EVICT_LO);
      secondChances += readWide(c, at + L_CHANCE_LO);
    }
    return { entries, evictions, secondChances };
  }

  /** Elements list l owns. */
  poolOf(l: number): number {
    return this.ctl[l * LINE_WORDS + L_POOL]!;
  }

  // ---- under the list lock ----

  /** Lock-free push onto the owning list's release stack (a Treiber stack, drained whole). */
  private pushStack(e: number): void {
    const at = this.ew[e * this.stride + LIST]! * LINE_WORDS;
    for (;;) {
      const head = Atomics.load(this.ctl, at + L_STACK);
      this.ew[e * this.stride + STACK] = head;
      // The successful exchange is a full barrier: the drainer, which takes
      // the stack with Atomics.exchange, sees the STACK link written above.
      if (Atomics.compareExchange(this.ctl, at + L_STACK, head, e) === head) return;
    }
  }

  /** Moves every released element from the release stack to the free list. */
  private drainLocked(at: number): void {
    if (lockChecksOn()) this.assertListHeld(at);
    const { ctl, ew, stride } = this;
    if (Atomics.load(ctl, at + L_STACK) < 0) return;
    let e = Atomics.exchange(ctl, at + L_STACK, -1);
    let freed = 0;
    while (e >= 0) {
      const next = ew[e * stride + STACK]!;
      this.removeLocked(at, e);
      ew[e * stride + OLDER] = ctl[at + L_FREE]!;
      ctl[at + L_FREE] = e;
      freed++;
      e = next;
    }
    ctl[at + L_INUSE] = ctl[at + L_INUSE]! - freed;
    Atomics.store(ctl, at + L_NFREE, ctl[at + L_NFREE]! + freed);
  }

  /** Second-chance eviction of one live entry (see the module comment); the victim, or -1. */
  private evictLocked(at: number, owner: number): ElementId {
    if (lockChecksOn()) this.assertListHeld(at);
    const { ctl, ew, stride, table } = this;
    let budget = 2 * ctl[at + L_INUSE]! + 2;
    let e = ctl[at + L_OLD]! as ElementId;
    while (budget-- > 0) {
      if (e < 0) {
        e = ctl[at + L_OLD]! as ElementId;
        if (e < 0) return -1 as ElementId;
      }
      const base = e * stride;
      const newer = ew[base + NEWER]! as ElementId;
      if (ew[base + REF] !== 0) {
        ew[base + REF] = 0;
        if (newer >= 0) {
          this.removeLocked(at, e);
          this.addYoungLocked(at, e);
        }
        bumpWide(ctl, at + L_CHANCE_LO);
        e = newer;
        continue;
      }
      // Lock order: list lock (held) -> the victim's bucket lock.
      const b = (ew[base + HASH]! & table.mask) as BucketIndex;
      table.lockBucket(b, owner);
      const unlinked = table.unlinkLocked(b, e);
      table.unlockBucket(b);
      if (unlinked) {
        this.removeLocked(at, e);
        ctl[at + L_INUSE] = ctl[at + L_INUSE]! - 1;
        Atomics.sub(ctl, at + L_ENTRIES, 1);
        bumpWide(ctl, at + L_EVICT_LO);
        return e;
      }
      e = newer;
    }
    return -1 as ElementId;
  }

  // ---- recovery after CPU deaths ----

  /**
   * Takes list l's lock. One taken over from a dead owner may guard a list
   * the owner was relinking: it is rebuilt before anything reads it.
   */
  lockList(l: number, owner: number): void {
    lockRecover(this.ctl, l * LINE_WORDS + L_LOCK, owner, this.owners, 'LRU list lock', () => {
      if (this.recoveryCounters !== null) Atomics.add(this.recoveryCounters, W_LOCKS_RECOVERED, 1);
      // Lock order: list lock (held) -> bucket locks.
      withAllBuckets(this.table, owner, () => this.rebuildLocked([l]));
    });
  }

  unlockList(l: number): void {
    unlock(this.ctl, l * LINE_WORDS + L_LOCK);
  }

  /**
   * Under the locks of `lists` and every bucket lock: rebuilds those lists
   * from the chains. An element stays in use when it is linked, or popped by
   * a live CPU (its insert is in flight); every other element of the list is
   * free (the release stack is emptied: its elements are unlinked, so free).
   * The old in-use order is kept as far as the old list is intact; in-use
   * elements it no longer reaches join at the young end. Counters are
   * recomputed. Returns how many elements came back that were neither free
   * nor released (what dead CPUs had taken).
   */
  rebuildLocked(lists: number[]): number {
    // The bucket locks are checked by markLinked.
    if (lockChecksOn()) for (const l of lists) this.assertListHeld(l * LINE_WORDS);
    const { ctl, ew, stride, table } = this;
    const cap = this.poolSize();
    const { reached } = markLinked(table, cap);
    const keep = (e: number): boolean => {
      if (reached[e] !== 0) return true;
      const tag = ew[e * stride + STACK]!;
      // Popped for an insert in flight: keep it unless the popper died.
      return tag <= -3 && !this.owners.isDeadOwner(-3 - tag);
    };
    let reclaimed = 0;
    const visited = new Uint8Array(cap);
    const inUse = new Uint8Array(cap);
    for (const l of lists) {
      const at = l * LINE_WORDS;
      const before = ctl[at + L_NFREE]! + this.stackLength(at, cap);
      Atomics.store(ctl, at + L_STACK, -1);
      const order: number[] = [];
      for (let e = ctl[at + L_OLD]!; e >= 0 && e < cap && visited[e] === 0 && ew[e * stride + LIST] === l; e = ew[e * stride + NEWER]!) {
        visited[e] = 1;
        if (keep(e)) {
          inUse[e] = 1;
          order.push(e);
        }
      }
      let free = -1;
      let nFree = 0;
      let entries = 0;
      for (let e = cap - 1; e >= 0; e--) {
        if (ew[e * stride + LIST] !== l) continue;
        if (reached[e] !== 0) entries++;
        if (keep(e)) {
          if (inUse[e] === 0) {
            inUse[e] = 1;
            order.push(e);
          }
          continue;
        }
        ew[e * stride + STACK] = UNTAGGED;
        ew[e * stride + OLDER] = free;
        free = e;
        nFree++;
      }
      let older = -1;
      for (const e of order) {
        ew[e * stride + OLDER] = older;
        ew[e * stride + NEWER] = -1;
        if (older >= 0) ew[older * stride + NEWER] = e;
        older = e;
      }
      ctl[at + L_OLD] = order.length > 0 ? order[0]! : -1;
      ctl[at + L_YOUNG] = older;
      ctl[at + L_INUSE] = order.length;
      ctl[at + L_FREE] = free;
      Atomics.store(ctl, at + L_NFREE, nFree);
      Atomics.store(ctl, at + L_ENTRIES, entries);
      reclaimed += Math.max(0, nFree - before);
    }
    return reclaimed;
  }

  /** Elements of every list's pool together. */
  private poolSize(): number {
    let n = 0;
    for (let l = 0; l < this.nLists; l++) n += this.ctl[l * LINE_WORDS + L_POOL]!;
    return n;
  }

  private stackLength(at: number, cap: number): number {
    let n = 0;
    for (let e = Atomics.load(this.ctl, at + L_STACK); e >= 0 && e < cap && n <= cap; e = this.ew[e * this.stride + STACK]!) n++;
    return n;
  }

  private addYoungLocked(at: number, e: number): void {
    if (lockChecksOn()) this.assertListHeld(at);
    const { ctl, ew, stride } = this;
    const young = ctl[at + L_YOUNG]!;
    ew[e * stride + NEWER] = -1;
    ew[e * stride + OLDER] = young;
    if (young >= 0) ew[young * stride + NEWER] = e;
    else ctl[at + L_OLD] = e;
    ctl[at + L_YOUNG] = e;
  }

  private removeLocked(at: number, e: number): void {
    if (lockChecksOn()) this.assertListHeld(at);
    const { ctl, ew, stride } = this;
    const older = ew[e * stride + OLDER]!;
    const newer = ew[e * stride + NEWER]!;
    if (newer >= 0) ew[newer * stride + OLDER] = older;
    else ctl[at + L_YOUNG] = older;
    if (older >= 0) ew[older * stride + NEWER] = newer;
    else ctl[at + L_OLD] = newer;
  }

  /** With lock checks on: throws unless the calling thread holds the lock of the list whose control line is at `at`. */
  private assertListHeld(at: number): void {
    assertHeld(this.ctl, at + L_LOCK, this.owners.ownerId(), `LRU list ${at / LINE_WORDS} lock`);
  }

  /**
   * Under list l's lock: its pool, the elements on its in-use list (live
   * entries, inserts in flight, releases not yet drained), on its free list
   * and on its release stack. Walks are bounded by the pool size, so a
   * corrupted list shows as a mismatch rather than a hang.
   */
  census(l: number, owner: number): LruCensus {
    const { ctl, ew, stride } = this;
    const at = l * LINE_WORDS;
    const pool = ctl[at + L_POOL]!;
    const walk = (first: number, link: number): number => {
      let n = 0;
      for (let e = first; e >= 0 && n <= pool; e = ew[e * stride + link]!) n++;
      return n;
    };
    this.lockList(l, owner);
    try {
      return {
        pool,
        inUse: walk(ctl[at + L_OLD]!, NEWER),
        inUseCount: ctl[at + L_INUSE]!,
        free: walk(ctl[at + L_FREE]!, OLDER),
        freeCount: ctl[at + L_NFREE]!,
        released: walk(Atomics.load(ctl, at + L_STACK), STACK),
        entries: Atomics.load(ctl, at + L_ENTRIES),
      };
    } finally {
      unlock(ctl, at + L_LOCK);
    }
  }
}

/** A 64-bit counter in two words (low, high), bumped under the list lock. */
function bumpWide(w: Int32Array, lo: number): void {
  const v = (w[lo]! + 1) | 0;
  if (v === 0) Atomics.store(w, lo + 1, w[lo + 1]! + 1);
  Atomics.store(w, lo, v);
}

/** Reads a bumpWide counter without the lock (re-reading the high word on a carry). */
function readWide(w: Int32Array, lo: number): number {
  let hi = Atomics.load(w, lo + 1);
  let low = Atomics.load(w, lo) >>> 0;
  if (Atomics.load(w, lo + 1) !== hi) {
    // A carry happened between the reads; the next pair is consistent (the
    // next carry is 2^32 bumps away).
    hi = Atomics.load(w, lo + 1);
    low = Atomics.load(w, lo) >>> 0;
  }
  return hi * 2 ** 32 + low;
}
