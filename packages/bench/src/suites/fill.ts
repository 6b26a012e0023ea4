import { createMap, percpuValueStride, type BpfMap, type MapSpec } from '@rightsize/engine';
import { valueByte } from '../references/reference.js';

/** Bytes of a value as userspace writes it: per-CPU types take every CPU's value, each padded to 8 bytes. */
export function userValueSize(map: BpfMap): number {
  const s = map.spec;
  return s.type.includes('percpu') ? s.nCpus * percpuValueStride(s.valueSize) : s.valueSize;
}

/** A value made of the bytes every program and reference writes (valueByte), in a userspace-sized buffer. */
export function userValue(map: BpfMap): Uint8Array {
  const v = new Uint8Array(userValueSize(map));
  for (let i = 0; i < v.length; i++) v[i] = valueByte(i % map.spec.valueSize);
  return v;
}

/**
 * Inserts the keys 0..n-1 from userspace (the main thread). Throws if one
 * is refused, or if the map then holds fewer than n entries (an LRU map that
 * evicted while being filled would make the loop's lookups miss).
 */
export function fillMap(map: BpfMap, n: number): void {
  const value = userValue(map);
  for (let k = 0; k < n; k++) {
    const r = map.updateU32(k, value, 0);
    if (r !== 0) throw new Error(`filling ${map.spec.type}: update of key ${k} of ${n} returned ${r}`);
  }
  const held = map.stats().entries;
  if (held < n) throw new Error(`filling ${map.spec.type}: ${held} entries after inserting ${n} keys`);
}

/** Creates a map from a spec and fills it with the keys 0..fill-1. */
export function createFilled(spec: MapSpec, fill: number): BpfMap {
  const map = createMap(spec);
  try {
    fillMap(map, fill);
  } catch (err) {
    map.destroy();
    throw err;
  }
  return map;
}

/**
 * Buckets of a hash_resize that holds n entries and has settled: below its
 * grow watermark (so it never resizes on its own), and at most the next
 * power of two of maxEntries, the most a table of that map may have (as many
 * as a HASH of the same maxEntries has; n defaults to maxEntries: a full map).
 */
export function steadyBuckets(maxEntries: number, n = maxEntries, growAt = 0.75): number {
  const belowWatermark = 2 ** Math.ceil(Math.log2(Math.floor(n / growAt) + 1));
  return Math.min(belowWatermark, 2 ** Math.ceil(Math.log2(maxEntries)));
}
