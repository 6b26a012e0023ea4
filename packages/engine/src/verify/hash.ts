import type { HashMap } from '../maps/hash/hash-map.js';
import { checkPool, walkChains } from './chains.js';
import type { Findings } from './report.js';

/**
 * hash and percpu_hash: one chained table for the map's life and an element
 * allocator (a preallocated pool, or noPrealloc chunks). Every chain is
 * walked, then the pool is accounted for.
 */
export function verifyHash(map: HashMap, f: Findings): void {
  const t = map.table;
  const label = map.spec.type;
  const walk = walkChains(f, label, t, { capacity: t.alloc.capacity(), seed: map.header.seed, allowMoved: false, domain: map.domain });
  checkPool(f, label, t.alloc, walk, { count: 'linked', domain: map.domain });
  if (walk.linked > map.spec.maxEntries) f.problem(`${label}: ${walk.linked} entries linked, over maxEntries ${map.spec.maxEntries}`);
}
