import { QuiescenceDomain, getDefaultDomain } from '../rcu/domain.js';
import { normalizeSpec, type MapType } from '../spec/map-spec.js';
import { MapBase, attachParts, checkHandle, type MapTypeImpl } from './base.js';
import type { BpfMap } from './map.js';
import { ArrayMap } from './array/array-map.js';
import { HashMap } from './hash/hash-map.js';
import { LruHashMap } from './lru/lru-hash-map.js';
import { ArrayResizeMap } from './array-resize/array-resize-map.js';
import { ArrayOfMapsMap } from './array-of-maps/array-of-maps.js';
import { HashResizeMap } from './hash-resize/hash-resize-map.js';

const impls = new Map<MapType, MapTypeImpl>();

/** Adds a map type (each type's module registers itself from index.ts). */
export function registerMapType(type: MapType, impl: MapTypeImpl): void {
  impls.set(type, impl);
}

registerMapType('hash', { bytesAtCreate: (s) => HashMap.bytesAtCreate(s), create: HashMap.create, attach: HashMap.attach });
registerMapType('percpu_hash', { bytesAtCreate: (s) => HashMap.bytesAtCreate(s), create: HashMap.create, attach: HashMap.attach });
registerMapType('hash_resize', { bytesAtCreate: HashResizeMap.bytesAtCreate, create: HashResizeMap.create, attach: HashResizeMap.attach });
registerMapType('array', { bytesAtCreate: ArrayMap.bytesAtCreate, create: ArrayMap.create, attach: ArrayMap.attach });
registerMapType('percpu_array', { bytesAtCreate: ArrayMap.bytesAtCreate, create: ArrayMap.create, attach: ArrayMap.attach });
registerMapType('lru_hash', { bytesAtCreate: LruHashMap.bytesAtCreate, create: LruHashMap.create, attach: LruHashMap.attach });
registerMapType('lru_percpu_hash', { bytesAtCreate: LruHashMap.bytesAtCreate, create: LruHashMap.create, attach: LruHashMap.attach });
registerMapType('array_resize', { bytesAtCreate: ArrayResizeMap.bytesAtCreate, create: ArrayResizeMap.create, attach: ArrayResizeMap.attach });
// attachMap is handed over (not imported by the type) so that the two modules do not import each other.
registerMapType('array_of_maps', ArrayOfMapsMap.typeImpl(attachMap));

function implOf(type: MapType): MapTypeImpl {
  const impl = impls.get(type);
  if (!impl) throw new TypeError(`map type ${type} is not available in this build`);
  return impl;
}

export interface CreateOptions {
  /** The quiescence domain the map joins (default: this thread's default domain). */
  domain?: QuiescenceDomain;
}

/**
 * Creates a map. The spec is validated first; a bad one throws a TypeError or
 * RangeError naming the field, and nothing is allocated.
 */
export function createMap(spec: unknown, opts: CreateOptions = {}): BpfMap {
  const s = normalizeSpec(spec);
  const impl = implOf(s.type);
  const bytes = impl.bytesAtCreate(s);
  if (bytes > s.memoryBudget) {
    throw new RangeError(`spec.memoryBudget: a ${s.type} map of this spec needs ${bytes} bytes at creation, over the budget of ${s.memoryBudget}`);
  }
  const map = impl.create(s, opts.domain ?? getDefaultDomain());
  if (map instanceof MapBase) map.markRepaired();
  return map;
}

/** Attaches, in this thread, the map behind a handle (from `map.handle`, possibly made in another thread). */
export function attachMap(handle: unknown): BpfMap {
  checkHandle(handle);
  const parts = attachParts(handle);
  return implOf(parts.spec.type).attach({ ...handle, spec: parts.spec }, parts);
}
