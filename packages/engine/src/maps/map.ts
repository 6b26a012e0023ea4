import type { NormalizedSpec } from '../spec/map-spec.js';

/**
 * What another thread needs to attach a map: plain data and shared buffers,
 * so it survives `postMessage` / piscina task payloads (structured clone).
 */
export interface MapHandle {
  readonly kind: 'rightsize-map';
  readonly id: string;
  readonly spec: NormalizedSpec;
  /** The map's header: counters, state, the allocator, the seed. */
  readonly header: SharedArrayBuffer;
  /** Every live memory segment when the handle was taken (tables, chunks, sub-arrays, redo records, inner maps). */
  readonly segments: [number, SharedArrayBuffer][];
  /** The map's publication count the segment list is complete up to: attach finds what was published since. */
  readonly publishedUpTo: number;
  /** The quiescence domain (grace periods, lock owner liveness). */
  readonly domain: SharedArrayBuffer;
}

/** What `stats()` reports. `bytes` is the shared memory the map holds now. */
export interface MapStats {
  type: string;
  entries: number;
  maxEntries: number;
  buckets: number;
  bytes: number;
  [extra: string]: unknown;
}

/** A batch read: the kernel's cursor protocol (`in_batch` / `out_batch`). */
export interface BatchResult {
  /** 0, -ENOENT (the walk reached the end; entries may still be returned), -ENOSPC, -EINVAL. */
  err: number;
  keys: Uint8Array[];
  values: Uint8Array[];
  count: number;
  /** Pass back to continue; null once the walk is complete. */
  cursor: number | null;
}

/** A batch write: how many entries were processed before `err` stopped it. */
export interface BatchWriteResult {
  err: number;
  count: number;
}

/** What one `repair()` did. */
export interface RepairResult {
  /** False when no CPU died since the last repair (nothing to do). */
  ran: boolean;
  /** Elements given back to the pool (taken by dead CPUs and never linked or freed). */
  reclaimed: number;
}

/** Recovery so far: locks taken over from dead owners, redo records replayed, elements given back, repairs run, bytes of the redo records. */
export interface RecoveryCounts {
  locksRecovered: number;
  recordsReplayed: number;
  elementsReclaimed: number;
  repairs: number;
  /** Bytes of the per-writer redo records (left out of stats().bytes). */
  logBytes: number;
}

export interface BatchOptions {
  /** `elem_flags`: for lookups only BPF_F_LOCK is accepted; for updates the update flags. */
  elemFlags?: number;
  /** `flags`: must be 0. */
  flags?: number;
}

/**
 * Every map type's operations. Results are kernel style: 0 or a negative
 * errno; lookups return the value or nothing. Programmer errors (a key of the
 * wrong length, a value that is not a Uint8Array) throw and change nothing.
 *
 * Hot path (what programs call per event, allocation free): `lookupInto`,
 * `update`, `delete` with caller-owned buffers, and the `...U32` variants that
 * take a 4-byte key as a number (little-endian bytes).
 */
export interface BpfMap {
  readonly spec: NormalizedSpec;
  /** A structured-cloneable handle: `attachMap(handle)` in any thread gives the same map. */
  readonly handle: MapHandle;

  /** The value (a copy), or undefined when absent. Allocates: use lookupInto on hot paths. */
  lookup(key: Uint8Array): Uint8Array | undefined;
  /** Copies the value into `out`: 0, or -ENOENT (absent), -EPERM (write-only map from userspace). */
  lookupInto(key: Uint8Array, out: Uint8Array): number;
  lookupU32Into(key: number, out: Uint8Array): number;
  update(key: Uint8Array, value: Uint8Array, flags?: number): number;
  updateU32(key: number, value: Uint8Array, flags?: number): number;
  delete(key: Uint8Array): number;
  deleteU32(key: number): number;
  /** The value, removed from the map; undefined when absent. */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined;
  /** Copies the value into `out` and removes the entry: 0 or -ENOENT / -EINVAL. */
  lookupAndDeleteInto(key: Uint8Array, out: Uint8Array): number;
  /**
   * Atomically adds `delta` to the little-endian u32 at `byteOffset` of the
   * key's value (the program's `__sync_fetch_and_add(&val->field, delta)`),
   * under the bucket lock so that readers never see a torn value.
   * 0, or -ENOENT when the key is absent, -EINVAL for a bad offset.
   */
  atomicAdd(key: Uint8Array, byteOffset: number, delta: number): number;
  /** Writes the key after `key` into `next` (the first key when `key` is null or absent): 0 or -ENOENT at the end. */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number;
  lookupBatch(cursor: number | null, count: number, opts?: BatchOptions): BatchResult;
  lookupAndDeleteBatch(cursor: number | null, count: number, opts?: BatchOptions): BatchResult;
  updateBatch(keys: Uint8Array[], values: Uint8Array[], opts?: BatchOptions): BatchWriteResult;
  deleteBatch(keys: Uint8Array[], opts?: BatchOptions): BatchWriteResult;
  /** Resizable types: ask for a bigger table (the talk's bpf_grow()). Others: -EINVAL. */
  grow(): number;
  /** Resizable types: ask for a smaller table (bpf_shrink()). Others: -EINVAL. */
  shrink(): number;
  stats(): MapStats;
  /** Every key (userspace convenience built on getNextKey). */
  keys(): IterableIterator<Uint8Array>;
  /**
   * Repairs the map after CPU deaths (see recovery/log.ts): takes over the
   * locks dead CPUs held, replays the writes they had in flight, gives back
   * the elements they took. The first write after a death runs it; call it
   * to repair at once (before `verify`, say).
   */
  repair(): RepairResult;
  /** What recovery did to this map so far (counts kept in the map's shared header). */
  recoveryCounts(): RecoveryCounts;
  /** Detaches this thread from the map (the map lives on in other threads). */
  close(): void;
  /** Marks the map destroyed: every thread's next operation throws. */
  destroy(): void;
}
