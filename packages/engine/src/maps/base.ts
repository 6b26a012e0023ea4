import { currentCpu } from '../context.js';
import { Errno } from '../errno.js';
import { SegmentStore } from '../memory/segments.js';
import { DOMAIN_SLOTS, QuiescenceDomain } from '../rcu/domain.js';
import { describe, normalizeSpec, percpuValueStride, isPercpuType, requireInt, type NormalizedSpec } from '../spec/map-spec.js';
import { lock, unlock } from '../locks/bucket-lock.js';
import { LOG_DIR_AT, MapHeader, W_DEATHS_SEEN, W_DESTROYED, W_SEGMENT_WANTS, W_ELEMENTS_RECLAIMED, W_LOCKS_RECOVERED, W_RECORDS_REPLAYED, W_REPAIRS, W_REPAIR_LOCK } from './header.js';
import type { BatchOptions, BatchResult, BatchWriteResult, BpfMap, MapHandle, MapStats, RecoveryCounts, RepairResult } from './map.js';

/**
 * A map type's own batch walk (lookupBatch when !del, lookupAndDeleteBatch
 * when del), run once MapBase.checkedBatch has checked the caller.
 */
export type BatchWalker = (cursor: number | null, count: number, opts: BatchOptions, del: boolean) => BatchResult;

/** The pieces every map is made of, in the thread that holds this object. */
export interface MapParts {
  id: string;
  spec: NormalizedSpec;
  header: MapHeader;
  segments: SegmentStore;
  domain: QuiescenceDomain;
}

/** How one map type is made and attached. Each type's module provides one. */
export interface MapTypeImpl {
  /** Bytes the map takes at creation: checked against spec.memoryBudget before allocating. */
  bytesAtCreate(spec: NormalizedSpec): number;
  create(spec: NormalizedSpec, domain: QuiescenceDomain): BpfMap;
  attach(handle: MapHandle, parts: MapParts): BpfMap;
}

/**
 * What all map types share: the handle, input checks that throw before
 * anything changes, the userspace/program distinction, and the parts of the
 * API that are defined in terms of others (lookup via lookupInto, keys via
 * getNextKey).
 */
export abstract class MapBase implements BpfMap {
  readonly spec: NormalizedSpec;
  readonly id: string;
  readonly header: MapHeader;
  /** header.words, held directly: the lookup hot paths read the destroyed flag (W_DESTROYED) with one load fewer. */
  protected readonly headerWords: Int32Array;
  readonly segments: SegmentStore;
  readonly domain: QuiescenceDomain;
  /** Bytes of a value as userspace sees it (per-CPU types: every CPU's value, 8-byte padded). */
  readonly userValueSize: number;
  /** A per-CPU type: a value holds one window of cpuStride bytes per CPU (see windowFrom). */
  protected readonly percpu: boolean;
  /** Bytes of one CPU's window in a per-CPU value: roundup(valueSize, 8). */
  protected readonly cpuStride: number;
  /** keySize is 4: the U32 methods apply (checkU32Lookup tests it). */
  protected readonly u32Fast: boolean;
  /** close() was called on this object (hot paths that skip checkLive test it themselves). */
  protected closed = false;
  /** Repairs this object ran (an insert refused for lack of room retries once after one: see repair). */
  protected repairsRun = 0;

  constructor(parts: MapParts) {
    this.spec = parts.spec;
    this.id = parts.id;
    this.header = parts.header;
    this.headerWords = parts.header.words;
    this.segments = parts.segments;
    this.domain = parts.domain;
    this.percpu = isPercpuType(this.spec.type);
    this.cpuStride = percpuValueStride(this.spec.valueSize);
    this.userValueSize = this.percpu ? this.spec.nCpus * this.cpuStride : this.spec.valueSize;
    this.u32Fast = this.spec.keySize === 4;
  }

  private wantsSeen = 0;

  /**
   * Answers threads attaching over a gap (memory/segments.ts, rule 4): one
   * plain read when nobody asks. Called in the operations of the map types
   * whose memory grows after creation (new tables, chunks, sub-arrays).
   */
  protected answerSegmentWants(): void {
    // The same word SegmentStore.answerWants reads, read here first: on every
    // operation of a growing map, nobody asks, and this is one load.
    if (this.headerWords[W_SEGMENT_WANTS] !== this.wantsSeen) this.wantsSeen = this.segments.answerWants(this.wantsSeen);
  }

  /**
   * A handle for another thread: every live segment, and the publication
   * count it is complete up to (memory/segments.ts, rule 3). Take it just
   * before handing it over: an attach finds what was published since.
   */
  get handle(): MapHandle {
    const { segments, publishedUpTo } = this.segments.snapshot();
    return {
      kind: 'rightsize-map',
      id: this.id,
      spec: this.spec,
      header: this.header.sab,
      segments,
      publishedUpTo,
      domain: this.domain.sab,
    };
  }

  // ---- input checks: programmer errors throw, before anything changes ----

  protected checkLive(): void {
    if (this.closed) throw new Error(`rightsize: ${this.spec.type} map ${this.id} was closed in this thread`);
    if (this.headerWords[W_DESTROYED] !== 0) throw new Error(`rightsize: ${this.spec.type} map ${this.id} was destroyed`);
  }

  protected checkKey(key: unknown): asserts key is Uint8Array {
    this.checkLive();
    if (!(key instanceof Uint8Array)) throw new TypeError(`key must be a Uint8Array, got ${describe(key)}`);
    if (key.length !== this.spec.keySize) throw new TypeError(`key must be ${this.spec.keySize} bytes (keySize), got ${key.length}`);
  }

  protected checkU32(key: unknown): asserts key is number {
    this.checkLive();
    if (this.spec.keySize !== 4) throw new TypeError(`the U32 key path needs keySize 4, this map has keySize ${this.spec.keySize}`);
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key > 0xffffffff) {
      throw new TypeError(`a U32 key must be an integer in 0..2^32-1, got ${describe(key)}`);
    }
  }

  /**
   * The guard of a program's U32 lookup (the hot path): one cheap test covers
   * the usual case (a u32 key, an out buffer big enough for any caller, a
   * live map: closed here, destroyed as one load of headerWords); anything
   * else takes the full checks, which throw the same clear errors as the
   * other methods.
   */
  protected checkU32Lookup(key: number, out: Uint8Array): void {
    if (key >>> 0 !== key || !(out instanceof Uint8Array) || out.length < this.userValueSize || this.headerWords[W_DESTROYED] !== 0 || this.closed || !this.u32Fast) {
      this.checkU32(key);
      this.checkOut(out);
    }
  }

  /** Bytes of a value for the caller: a program sees its own CPU's value, userspace every CPU's. */
  valueSizeHere(): number {
    return currentCpu() >= 0 ? this.spec.valueSize : this.userValueSize;
  }

  protected checkValue(value: unknown, what = 'value'): asserts value is Uint8Array {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array, got ${describe(value)}`);
    const want = this.valueSizeHere();
    if (value.length !== want) {
      throw new TypeError(`${what} must be ${want} bytes (${currentCpu() >= 0 ? 'valueSize' : 'the userspace value size'}), got ${value.length}`);
    }
  }

  protected checkOut(out: unknown): asserts out is Uint8Array {
    if (!(out instanceof Uint8Array)) throw new TypeError(`out must be a Uint8Array, got ${describe(out)}`);
    const want = this.valueSizeHere();
    if (out.length < want) throw new TypeError(`out must hold at least ${want} bytes, got ${out.length}`);
  }

  /**
   * Byte offset of the caller's value inside an entry's value area: a program
   * on a per-CPU map reads and writes its own CPU's window only; userspace,
   * and every caller of a map that is not per-CPU, the whole value (0).
   */
  protected windowFrom(): number {
    if (!this.percpu) return 0;
    const cpu = currentCpu();
    if (cpu < 0) return 0;
    if (cpu >= this.spec.nCpus) throw new RangeError(`CPU ${cpu} is out of range for a per-CPU map of nCpus ${this.spec.nCpus}`);
    return cpu * this.cpuStride;
  }

  /**
   * atomicAdd's argument checks, in the order every map type makes them: a
   * bad key or delta throws (a programmer error); a byteOffset that is not a
   * whole 4-byte word inside the caller's value (`valueBytes` long) is
   * -EINVAL; a userspace write to a read-only map is -EPERM. 0: go on.
   * `valueBytes` is the caller's: valueSizeHere() for types that may be
   * per-CPU, spec.valueSize for the others (the same number, one call fewer).
   */
  protected checkAtomicAdd(key: Uint8Array, byteOffset: number, delta: number, valueBytes: number): number {
    this.checkKey(key);
    requireInt('delta', delta, -0x80000000, 0xffffffff);
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 4 !== 0 || byteOffset + 4 > valueBytes) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    return 0;
  }

  /**
   * lookupBatch and lookupAndDeleteBatch of the types that walk their own
   * entries (HASH and the types built on it, hash_resize): a closed or
   * destroyed map throws; userspace that may not read (or, to delete, may not
   * write) gets -EPERM with nothing walked and its cursor back; else `walk`.
   */
  protected checkedBatch(cursor: number | null, count: number, opts: BatchOptions, del: boolean, walk: BatchWalker): BatchResult {
    this.checkLive();
    if (!this.userMayRead() || (del && !this.userMayWrite())) return { err: -Errno.EPERM, keys: [], values: [], count: 0, cursor };
    return walk(cursor, count, opts, del);
  }

  /** rdonly / wronly restrict userspace only, as BPF_F_RDONLY / BPF_F_WRONLY do for the syscall. */
  protected userMayWrite(): boolean {
    return !(this.spec.flags.rdonly && currentCpu() < 0);
  }

  protected userMayRead(): boolean {
    return !(this.spec.flags.wronly && currentCpu() < 0);
  }

  // ---- operations every type defines ----

  abstract lookupInto(key: Uint8Array, out: Uint8Array): number;
  abstract lookupU32Into(key: number, out: Uint8Array): number;
  abstract update(key: Uint8Array, value: Uint8Array, flags?: number): number;
  abstract updateU32(key: number, value: Uint8Array, flags?: number): number;
  abstract delete(key: Uint8Array): number;
  abstract deleteU32(key: number): number;
  abstract lookupAndDeleteInto(key: Uint8Array, out: Uint8Array): number;
  abstract atomicAdd(key: Uint8Array, byteOffset: number, delta: number): number;
  abstract getNextKey(key: Uint8Array | null, next: Uint8Array): number;
  abstract lookupBatch(cursor: number | null, count: number, opts?: BatchOptions): BatchResult;
  abstract lookupAndDeleteBatch(cursor: number | null, count: number, opts?: BatchOptions): BatchResult;
  abstract stats(): MapStats;

  // ---- operations defined in terms of the others ----

  lookup(key: Uint8Array): Uint8Array | undefined {
    const out = new Uint8Array(this.valueSizeHere());
    return this.lookupInto(key, out) === 0 ? out : undefined;
  }

  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    const out = new Uint8Array(this.valueSizeHere());
    return this.lookupAndDeleteInto(key, out) === 0 ? out : undefined;
  }

  /** The kernel's generic_map_update_batch: one update per key, stopping at the first error. */
  updateBatch(keys: Uint8Array[], values: Uint8Array[], opts: BatchOptions = {}): BatchWriteResult {
    if (!Array.isArray(keys) || !Array.isArray(values)) throw new TypeError('updateBatch takes an array of keys and an array of values');
    if (keys.length !== values.length) throw new TypeError(`updateBatch: ${keys.length} keys but ${values.length} values`);
    for (const k of keys) this.checkKey(k);
    for (const v of values) this.checkValue(v);
    if ((opts.flags ?? 0) !== 0) return { err: -Errno.EINVAL, count: 0 };
    const elemFlags = opts.elemFlags ?? 0;
    for (let i = 0; i < keys.length; i++) {
      const err = this.update(keys[i]!, values[i]!, elemFlags);
      if (err !== 0) return { err, count: i };
    }
    return { err: 0, count: keys.length };
  }

  /** The kernel's generic_map_delete_batch: one delete per key, stopping at the first error. */
  deleteBatch(keys: Uint8Array[], opts: BatchOptions = {}): BatchWriteResult {
    if (!Array.isArray(keys)) throw new TypeError('deleteBatch takes an array of keys');
    for (const k of keys) this.checkKey(k);
    if ((opts.flags ?? 0) !== 0 || (opts.elemFlags ?? 0) !== 0) return { err: -Errno.EINVAL, count: 0 };
    for (let i = 0; i < keys.length; i++) {
      const err = this.delete(keys[i]!);
      if (err !== 0) return { err, count: i };
    }
    return { err: 0, count: keys.length };
  }

  grow(): number {
    return -Errno.EINVAL;
  }

  shrink(): number {
    return -Errno.EINVAL;
  }

  *keys(): IterableIterator<Uint8Array> {
    let cur: Uint8Array | null = null;
    for (;;) {
      const next = new Uint8Array(this.spec.keySize);
      if (this.getNextKey(cur, next) !== 0) return;
      yield next;
      cur = next;
    }
  }

  // ---- recovery after CPU deaths (see recovery/log.ts) ----

  /** Whether a thread of the map's domain died since the map was last repaired. */
  repairPending(): boolean {
    return this.domain.deaths() !== Atomics.load(this.header.words, W_DEATHS_SEEN);
  }

  /**
   * Repairs the map after CPU deaths: takes over every lock a dead CPU held
   * (replaying the value write it had in flight), and rebuilds what can be
   * derived from the map's chains (free elements, live counts, LRU lists), so
   * that nothing a dead CPU took is lost to the pool. The first write after a
   * death runs it; call it to repair at once (before `verify`, say). Returns
   * whether it ran and how many elements it gave back.
   */
  repair(): RepairResult {
    this.checkLive();
    const w = this.header.words;
    // A death nobody has met yet (the thread held no lock) counts too.
    const target = this.domain.noticeDeaths();
    if (Atomics.load(w, W_DEATHS_SEEN) === target) return { ran: false, reclaimed: 0 };
    // Taken with no other lock of the map held: first in the lock order.
    lock(w, W_REPAIR_LOCK, this.domain.ownerId(), this.domain, 'repair lock');
    try {
      if (Atomics.load(w, W_DEATHS_SEEN) === target) return { ran: false, reclaimed: 0 };
      const reclaimed = this.repairLocked();
      this.repairsRun++;
      Atomics.add(w, W_ELEMENTS_RECLAIMED, reclaimed);
      Atomics.add(w, W_REPAIRS, 1);
      Atomics.store(w, W_DEATHS_SEEN, target);
      return { ran: true, reclaimed };
    } finally {
      unlock(w, W_REPAIR_LOCK);
    }
  }

  /**
   * What recovery counted so far: locks taken over from dead owners, redo
   * records replayed, elements given back, repairs run; and the bytes of the
   * redo record segments (one per thread slot that wrote the map, left out
   * of stats().bytes: per-writer overhead, not entry memory).
   */
  recoveryCounts(): RecoveryCounts {
    const w = this.header.words;
    let logBytes = 0;
    for (let s = 0; s < DOMAIN_SLOTS; s++) logBytes += Atomics.load(w, LOG_DIR_AT + s);
    return {
      locksRecovered: Atomics.load(w, W_LOCKS_RECOVERED),
      recordsReplayed: Atomics.load(w, W_RECORDS_REPLAYED),
      elementsReclaimed: Atomics.load(w, W_ELEMENTS_RECLAIMED),
      repairs: Atomics.load(w, W_REPAIRS),
      logBytes,
    };
  }

  /**
   * Under the repair lock, the map type's repair; returns the elements it gave
   * back. This default suits maps with no element pool: nothing to rebuild.
   */
  protected repairLocked(): number {
    return 0;
  }

  /** The end of a write: repairs when a death happened since the last repair (two plain reads otherwise). */
  protected settle(): void {
    if (this.domain.deaths() !== this.header.words[W_DEATHS_SEEN]) this.repair();
  }

  /** A new map owes no repair for deaths that happened before it existed (createMap calls this). */
  markRepaired(): void {
    Atomics.store(this.header.words, W_DEATHS_SEEN, this.domain.deaths());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.segments.close();
  }

  destroy(): void {
    this.header.markDestroyed();
    this.close();
  }
}

/** Validates a handle's shape before attaching: a clear error instead of a crash deep inside. */
export function checkHandle(h: unknown): asserts h is MapHandle {
  if (typeof h !== 'object' || h === null) throw new TypeError(`map handle must be an object, got ${describe(h)}`);
  const o = h as Record<string, unknown>;
  if (o.kind !== 'rightsize-map') throw new TypeError('not a rightsize map handle (kind is not "rightsize-map")');
  if (typeof o.id !== 'string') throw new TypeError('map handle has no id');
  if (!(o.header instanceof SharedArrayBuffer)) throw new TypeError('map handle has no header buffer');
  if (!(o.domain instanceof SharedArrayBuffer)) throw new TypeError('map handle has no domain buffer');
  if (!Array.isArray(o.segments)) throw new TypeError('map handle has no segment list');
  if (typeof o.publishedUpTo !== 'number' || !Number.isInteger(o.publishedUpTo) || o.publishedUpTo < 0) {
    throw new TypeError(`map handle has no publication count (publishedUpTo: ${describe(o.publishedUpTo)})`);
  }
  if (typeof o.spec !== 'object' || o.spec === null) throw new TypeError('map handle has no spec');
}

/**
 * The parts of the map behind a checked handle, attached in this thread. A
 * destroyed map is refused. Here rather than in the registry so that a map
 * type's own thread (the hash_resize resizer) attaches its map without the
 * registry, which imports every type.
 */
export function attachParts(handle: MapHandle): MapParts {
  const spec = normalizeSpec(handle.spec);
  const header = new MapHeader(handle.header);
  if (header.destroyed) throw new Error(`rightsize: map ${handle.id} (${spec.type}) was destroyed; its handle can no longer be attached`);
  const domain = QuiescenceDomain.attach(handle.domain);
  const segments = SegmentStore.attach(handle.id, handle.segments, handle.publishedUpTo, header.segmentControl(domain));
  return { id: handle.id, spec, header, segments, domain };
}
