import { availableParallelism } from 'node:os';

/** Every map type the engine builds. Names follow `BPF_MAP_TYPE_*` in lower case. */
export const MAP_TYPES = ['hash', 'array', 'lru_hash', 'lru_percpu_hash', 'percpu_hash', 'percpu_array', 'array_of_maps', 'array_resize', 'hash_resize'] as const;

export type MapType = (typeof MAP_TYPES)[number];

/** Map creation flags (`BPF_F_*`), spelled as booleans. */
export interface MapFlags {
  /** `BPF_F_NO_PREALLOC`: allocate elements on demand instead of a fixed pool at creation. */
  noPrealloc?: boolean;
  /** `BPF_F_ZERO_SEED`: hash with seed 0 so two maps filled alike iterate alike. */
  zeroSeed?: boolean;
  /** `BPF_F_RDONLY`: userspace may only read (updates and deletes from userspace get -EPERM). */
  rdonly?: boolean;
  /** `BPF_F_WRONLY`: userspace may only write (lookups from userspace get -EPERM). */
  wronly?: boolean;
  /** `BPF_F_NO_COMMON_LRU`: one LRU list per CPU instead of one shared list (LRU types only). */
  noCommonLru?: boolean;
}

/** What happens when an update or delete meets a resize under way (hash_resize). */
export type EbusyPolicy = 'fail' | 'retry' | 'help';

/** Who migrates buckets during a hash_resize resize. */
export type ResizeDriver = 'deferred' | 'inline' | 'help';

/** The options specific to `hash_resize`. */
export interface ResizeOptions {
  /** Buckets of the first table (power of two, >= 4). Default 4. */
  initialBuckets?: number;
  /** Grow when entries exceed this fraction of buckets. Default 0.75 (rhashtable's watermark). */
  growAt?: number;
  /** Shrink when entries fall below this fraction of buckets. Default 0.30. */
  shrinkAt?: number;
  /** Resize automatically at the watermarks. Default true; `grow()`/`shrink()` work either way. */
  autoResize?: boolean;
  /** How an update/delete meets a resize under way. Default 'fail' (kernel style -EBUSY). */
  ebusyPolicy?: EbusyPolicy;
  /** Bounded retries per operation under the 'retry' policy. Default 64. */
  retries?: number;
  /** Who drives the migration. Default 'deferred' (a resizer thread, as rhashtable's worker). */
  driver?: ResizeDriver;
  /** Buckets one migration step moves. Default 64. */
  migrateBatch?: number;
  /** Who decides resizes: 'watermarks' (growAt/shrinkAt by 2x, the default) or 'adaptive' (maps/hash-resize/controller.ts). */
  controller?: ResizeController;
  /**
   * Optional: a pre-sizing hint, the entries the bound is expected to be
   * raised to (>= maxEntries; default maxEntries). The element pool's chunks
   * are sized for it (a map raised far then makes fewer, bigger chunks);
   * nothing is allocated for it. No limit: setMaxEntries raises the bound
   * past it, up to the engine's hard limit (stats().maxEntriesCeiling, about
   * 2^31 entries). Before issue 17 it was that limit; specs giving it keep working.
   */
  maxEntriesCeiling?: number;
}

/** Who decides hash_resize's resizes. */
export type ResizeController = 'watermarks' | 'adaptive';

/** The options specific to `array_resize`. */
export interface ArrayResizeOptions {
  /** Entries per sub-array (power of two). Default 1024. */
  subArraySize?: number;
  /** Entries available at creation (rounded up to whole sub-arrays). Default one sub-array. */
  initialEntries?: number;
}

/** What `createMap` takes. Sizes are in bytes, `maxEntries` in entries. */
export interface MapSpec {
  type: MapType;
  /** Key size in bytes: 1..512 for hash types, exactly 4 for arrays. */
  keySize: number;
  /** Value size in bytes: 1..262144 (array_of_maps: 4, the inner map slot). */
  valueSize: number;
  /** Upper bound on entries (>= 1). For hash_resize a hard bound, not a bucket count. */
  maxEntries: number;
  flags?: MapFlags;
  /** CPUs the per-CPU types keep values for. Default: the machine's cores. */
  nCpus?: number;
  /**
   * A map refuses to be created when its memory at creation (or its bound, for preallocated types) exceeds this many bytes.
   * hash_resize also refuses past it, with -ENOMEM, a grow whose next table and an insert whose new element chunk would not fit.
   */
  memoryBudget?: number;
  /** hash_resize options. */
  resize?: ResizeOptions;
  /** array_resize options. */
  arrayResize?: ArrayResizeOptions;
  /** array_of_maps: the template every inner map must match. */
  inner?: MapSpec;
}

export const MAX_KEY_SIZE = 512;
export const MAX_VALUE_SIZE = 256 * 1024;
export const MAX_CPUS = 128;

/** A spec after validation: every default filled in. */
export interface NormalizedSpec {
  type: MapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: Required<MapFlags>;
  nCpus: number;
  memoryBudget: number;
  resize: Required<ResizeOptions>;
  arrayResize: Required<ArrayResizeOptions>;
  inner: NormalizedSpec | null;
}

let defaultMemoryBudget = Number.POSITIVE_INFINITY;

/**
 * The memoryBudget of every map created in this thread whose spec gives
 * none (Infinity, the default: no budget). A spec's own memoryBudget wins.
 * Module state, so each worker thread has its own (the budget a map got is
 * in its spec, so threads that attach it keep it).
 */
export function setDefaultMemoryBudget(bytes: number): void {
  if (bytes !== Number.POSITIVE_INFINITY) requireInt('memoryBudget', bytes, 1, Number.MAX_SAFE_INTEGER);
  defaultMemoryBudget = bytes;
}

/**
 * Throws a TypeError naming `field` unless `v` is an integer, a RangeError
 * unless it is in [min, max]. The workers' and bench's option checks use it
 * too, so every input error reads alike.
 */
export function requireInt(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`${field} must be an integer, got ${describe(v)}`);
  }
  if (v < min || v > max) throw new RangeError(`${field} must be in ${min}..${max}, got ${v}`);
  return v;
}

function requireFraction(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) {
    throw new RangeError(`${field} must be a number in (0, 1], got ${describe(v)}`);
  }
  return v;
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Smallest power of two >= n (n >= 1, n <= 2^30). */
export function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

const FLAG_NAMES: (keyof MapFlags)[] = ['noPrealloc', 'zeroSeed', 'rdonly', 'wronly', 'noCommonLru'];

const ARRAY_TYPES = new Set<MapType>(['array', 'percpu_array', 'array_of_maps', 'array_resize']);
const PERCPU_TYPES = new Set<MapType>(['percpu_hash', 'percpu_array', 'lru_percpu_hash']);
const LRU_TYPES = new Set<MapType>(['lru_hash', 'lru_percpu_hash']);

export const isArrayType = (t: MapType): boolean => ARRAY_TYPES.has(t);
export const isPercpuType = (t: MapType): boolean => PERCPU_TYPES.has(t);
export const isLruType = (t: MapType): boolean => LRU_TYPES.has(t);

/**
 * Validates a spec and fills in defaults. Every failure throws a TypeError or
 * RangeError that names the offending field, before anything is allocated.
 */
export function normalizeSpec(spec: unknown): NormalizedSpec {
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`map spec must be an object, got ${describe(spec)}`);
  const s = spec as Record<string, unknown>;
  if (typeof s.type !== 'string' || !(MAP_TYPES as readonly string[]).includes(s.type)) {
    throw new TypeError(`spec.type must be one of ${MAP_TYPES.join(', ')}; got ${describe(s.type)}`);
  }
  const type = s.type as MapType;
  const arrayish = isArrayType(type);
  const keySize = arrayish ? requireInt('spec.keySize', s.keySize, 4, 4) : requireInt('spec.keySize', s.keySize, 1, MAX_KEY_SIZE);
  const valueSize = type === 'array_of_maps' ? requireInt('spec.valueSize', s.valueSize, 4, 4) : requireInt('spec.valueSize', s.valueSize, 1, MAX_VALUE_SIZE);
  const maxEntries = requireInt('spec.maxEntries', s.maxEntries, 1, 2 ** 30);

  // Only a missing field means "no flags": null is a bad flags object like any other non-object.
  const flagsIn = s.flags === undefined ? {} : s.flags;
  if (typeof flagsIn !== 'object' || flagsIn === null || Array.isArray(flagsIn)) {
    throw new TypeError(`spec.flags must be an object of booleans, got ${describe(flagsIn)}`);
  }
  const flags: Required<MapFlags> = { noPrealloc: false, zeroSeed: false, rdonly: false, wronly: false, noCommonLru: false };
  for (const [k, v] of Object.entries(flagsIn)) {
    if (!(FLAG_NAMES as string[]).includes(k)) throw new TypeError(`spec.flags.${k} is not a map flag (known: ${FLAG_NAMES.join(', ')})`);
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`spec.flags.${k} must be a boolean, got ${describe(v)}`);
    flags[k as keyof MapFlags] = v === true;
  }
  if (flags.rdonly && flags.wronly) throw new RangeError('spec.flags: rdonly and wronly exclude each other');
  if (flags.noCommonLru && !isLruType(type)) throw new RangeError(`spec.flags.noCommonLru applies to LRU maps only, not ${type}`);
  if (flags.noPrealloc && (arrayish || isLruType(type))) {
    // The kernel refuses BPF_F_NO_PREALLOC for arrays and LRU maps (-EINVAL).
    throw new RangeError(`spec.flags.noPrealloc is not supported for ${type}`);
  }

  const nCpus = s.nCpus === undefined ? Math.min(availableParallelism(), MAX_CPUS) : requireInt('spec.nCpus', s.nCpus, 1, MAX_CPUS);
  if (flags.noCommonLru && maxEntries < nCpus) {
    throw new RangeError(`spec.maxEntries (${maxEntries}) must be >= nCpus (${nCpus}) with noCommonLru: each CPU's list needs room`);
  }
  // Infinity is the "no budget" default, accepted back so that a normalized spec
  // (a handle's, checked again by attachMap) normalizes to itself.
  const memoryBudget =
    s.memoryBudget === undefined
      ? defaultMemoryBudget
      : s.memoryBudget === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : requireInt('spec.memoryBudget', s.memoryBudget, 1, Number.MAX_SAFE_INTEGER);

  // A normalized spec carries every section, filled with defaults for the types
  // they do not apply to; those default sections are accepted back. A section
  // with anything else is refused for such a type.
  const resizeDefaults = resizeOptions({});
  let resize = resizeDefaults;
  if (s.resize !== undefined && !isDefaultSection(s.resize, resizeDefaults)) {
    if (type !== 'hash_resize') throw new RangeError(`spec.resize applies to hash_resize only, not ${type}`);
    resize = resizeOptions(s.resize);
  }

  const arrayResizeDefaults = arrayResizeOptions({}, maxEntries);
  let arrayResize = arrayResizeDefaults;
  if (s.arrayResize !== undefined && !isDefaultSection(s.arrayResize, arrayResizeDefaults)) {
    if (type !== 'array_resize') throw new RangeError(`spec.arrayResize applies to array_resize only, not ${type}`);
    arrayResize = arrayResizeOptions(s.arrayResize, maxEntries);
  }

  let inner: NormalizedSpec | null = null;
  if (type === 'array_of_maps') {
    if (s.inner === undefined || s.inner === null) throw new TypeError('spec.inner (the inner map template) is required for array_of_maps');
    inner = normalizeSpec(s.inner);
    if (inner.type === 'array_of_maps') throw new RangeError('spec.inner: an array_of_maps cannot hold array_of_maps (the kernel refuses nesting)');
  } else if (s.inner !== undefined && s.inner !== null) {
    // null is what a normalized spec of any other type holds.
    throw new RangeError(`spec.inner applies to array_of_maps only, not ${type}`);
  }

  return { type, keySize, valueSize, maxEntries, flags, nCpus, memoryBudget, resize, arrayResize, inner };
}

function resizeOptions(section: unknown): Required<ResizeOptions> {
  if (typeof section !== 'object' || section === null) throw new TypeError(`spec.resize must be an object, got ${describe(section)}`);
  const r = section as Record<string, unknown>;
  const resize: Required<ResizeOptions> = {
    initialBuckets: r.initialBuckets === undefined ? 4 : requireInt('spec.resize.initialBuckets', r.initialBuckets, 4, 2 ** 30),
    growAt: r.growAt === undefined ? 0.75 : requireFraction('spec.resize.growAt', r.growAt),
    shrinkAt: r.shrinkAt === undefined ? 0.3 : requireFraction('spec.resize.shrinkAt', r.shrinkAt),
    autoResize: r.autoResize === undefined ? true : requireBool('spec.resize.autoResize', r.autoResize),
    ebusyPolicy: r.ebusyPolicy === undefined ? 'fail' : requireOneOf('spec.resize.ebusyPolicy', r.ebusyPolicy, ['fail', 'retry', 'help']),
    retries: r.retries === undefined ? 64 : requireInt('spec.resize.retries', r.retries, 1, 1_000_000),
    driver: r.driver === undefined ? 'deferred' : requireOneOf('spec.resize.driver', r.driver, ['deferred', 'inline', 'help']),
    migrateBatch: r.migrateBatch === undefined ? 64 : requireInt('spec.resize.migrateBatch', r.migrateBatch, 1, 2 ** 30),
    controller: r.controller === undefined ? 'watermarks' : requireOneOf('spec.resize.controller', r.controller, ['watermarks', 'adaptive']),
    // 0 (and any value below maxEntries is refused by the map): the spec's maxEntries.
    maxEntriesCeiling: r.maxEntriesCeiling === undefined ? 0 : requireInt('spec.resize.maxEntriesCeiling', r.maxEntriesCeiling, 0, 2 ** 31 - 1),
  };
  if (!isPowerOfTwo(resize.initialBuckets)) throw new RangeError(`spec.resize.initialBuckets must be a power of two, got ${resize.initialBuckets}`);
  if (resize.shrinkAt * 2 >= resize.growAt) {
    // After a shrink halves the buckets the load doubles; it must land below the
    // grow watermark or the table would oscillate between the two.
    throw new RangeError(`spec.resize.shrinkAt (${resize.shrinkAt}) must be below half of growAt (${resize.growAt})`);
  }
  return resize;
}

function arrayResizeOptions(section: unknown, maxEntries: number): Required<ArrayResizeOptions> {
  if (typeof section !== 'object' || section === null) throw new TypeError(`spec.arrayResize must be an object, got ${describe(section)}`);
  const a = section as Record<string, unknown>;
  const subArraySize = a.subArraySize === undefined ? Math.min(1024, nextPowerOfTwo(maxEntries)) : requireInt('spec.arrayResize.subArraySize', a.subArraySize, 1, 2 ** 30);
  if (!isPowerOfTwo(subArraySize)) throw new RangeError(`spec.arrayResize.subArraySize must be a power of two, got ${subArraySize}`);
  return {
    subArraySize,
    initialEntries: a.initialEntries === undefined ? subArraySize : requireInt('spec.arrayResize.initialEntries', a.initialEntries, 1, maxEntries),
  };
}

/** Whether a spec section holds exactly the fields and values of `defaults` (what normalizeSpec fills in). */
function isDefaultSection(given: unknown, defaults: object): boolean {
  if (typeof given !== 'object' || given === null) return false;
  const g = given as Record<string, unknown>;
  const d = defaults as Record<string, unknown>;
  const keys = Object.keys(d);
  return Object.keys(g).length === keys.length && keys.every((k) => g[k] === d[k]);
}

function requireBool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${field} must be a boolean, got ${describe(v)}`);
  return v;
}

function requireOneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new TypeError(`${field} must be one of ${allowed.join(', ')}; got ${describe(v)}`);
  }
  return v as T;
}

/** Bytes a per-CPU value takes in a userspace buffer: each CPU's value padded to 8 bytes. */
export function percpuValueStride(valueSize: number): number {
  return (valueSize + 7) & ~7;
}
