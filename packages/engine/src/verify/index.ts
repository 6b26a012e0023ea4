import { ArrayOfMapsMap } from '../maps/array-of-maps/array-of-maps.js';
import { ArrayResizeMap } from '../maps/array-resize/array-resize-map.js';
import { ArrayMap } from '../maps/array/array-map.js';
import { MapBase } from '../maps/base.js';
import { HashResizeMap } from '../maps/hash-resize/hash-resize-map.js';
import { HashMap } from '../maps/hash/hash-map.js';
import { LruHashMap } from '../maps/lru/lru-hash-map.js';
import type { BpfMap } from '../maps/map.js';
import { describe } from '../spec/map-spec.js';
import { verifyArrayOfMaps } from './array-of-maps.js';
import { verifyArrayResize } from './array-resize.js';
import { verifyArray } from './array.js';
import { verifyHashResize } from './hash-resize.js';
import { verifyHash } from './hash.js';
import { verifyLru } from './lru.js';
import { Findings, type VerifyOptions, type VerifyReport } from './report.js';

export type { VerifyOptions, VerifyReport } from './report.js';

/**
 * The consistency checker: walks a map's shared memory and reports every
 * broken invariant it finds (see each family's module for the list). It
 * takes no lock and changes nothing, so it is meant for a quiescent map: no
 * operation in flight in any thread (after a run, between the phases of an
 * experiment, after a CPU was killed and the survivors stopped). On a map
 * that is still being written it may report a write in progress as a problem.
 *
 * After a CPU died, the damage it may leave (a lock it held, an element it
 * took and never linked, a counter it bumped) shows here as the broken
 * invariant it is, until the map's repair (its next write, or
 * `map.repair()`) has run; `checked.repairPending` is 1 until then.
 */
export function verify(map: BpfMap, opts: VerifyOptions = {}): VerifyReport {
  if (!(map instanceof MapBase)) throw new TypeError(`verify takes a map made by createMap or attachMap, got ${describe(map)}`);
  if (map.header.destroyed) throw new Error(`rightsize: ${map.spec.type} map ${map.id} was destroyed; there is nothing to verify`);
  const f = new Findings(opts.maxProblems ?? 50);
  f.count('repairPending', map.repairPending() ? 1 : 0);
  if (map instanceof LruHashMap) verifyLru(map, f);
  else if (map instanceof HashMap) verifyHash(map, f);
  else if (map instanceof HashResizeMap) verifyHashResize(map, f);
  else if (map instanceof ArrayMap) verifyArray(map, f);
  else if (map instanceof ArrayResizeMap) verifyArrayResize(map, f);
  else if (map instanceof ArrayOfMapsMap) verifyArrayOfMaps(map, f, (inner) => verify(inner, opts));
  else throw new TypeError(`verify does not know map type ${map.spec.type}`);
  return f.report(map.spec.type);
}
