import { AOM_CTL_LOCK, AOM_NEXT_ID, AOM_SEG_SLOTS, type ArrayOfMapsMap } from '../maps/array-of-maps/array-of-maps.js';
import type { BpfMap } from '../maps/map.js';
import { innerMatches } from '../maps/array-of-maps/inner-template.js';
import { describeLock } from './owners.js';
import type { Findings } from './report.js';

/**
 * array_of_maps: the control lock free, every index empty (0) or holding a
 * slot id the map handed out (below NEXT_ID) whose inner map is alive and
 * matches the template; then every distinct inner map is verified in turn
 * (its problems are reported under "inner map at index i").
 */
export function verifyArrayOfMaps(map: ArrayOfMapsMap, f: Findings, verifyInner: (m: BpfMap) => { problems: string[]; checked: Record<string, number> }): void {
  const label = 'array_of_maps';
  const h = map.header.words;
  const lockWord = Atomics.load(h, AOM_CTL_LOCK);
  if (lockWord !== 0) f.problem(`${label}: control lock ${describeLock(map.domain, lockWord)} while the map is quiescent`);
  const nextId = Atomics.load(h, AOM_NEXT_ID);
  const slots = new Int32Array(map.segments.get(AOM_SEG_SLOTS));
  const inners = new Map<string, number>();
  for (let i = 0; i < map.spec.maxEntries; i++) {
    const id = Atomics.load(slots, i);
    if (id === 0) continue;
    if (id < 0 || id >= nextId) {
      f.problem(`${label} index ${i}: slot id ${id} was never handed out (next id ${nextId})`);
      continue;
    }
    let inner: BpfMap | undefined;
    try {
      inner = map.getInner(i);
    } catch (e) {
      f.problem(`${label} index ${i}: inner map of slot id ${id} cannot be attached: ${(e as Error).message}`);
      continue;
    }
    if (!inner) continue;
    if (!innerMatches(map.spec.inner!, inner.spec)) f.problem(`${label} index ${i}: inner map ${inner.handle.id} does not match the template`);
    if (!inners.has(inner.handle.id)) inners.set(inner.handle.id, i);
  }
  for (const [id, i] of inners) {
    const inner = map.getInner(i)!;
    const r = verifyInner(inner);
    for (const p of r.problems) f.problem(`${label} inner map at index ${i} (${id}): ${p}`);
    for (const [k, n] of Object.entries(r.checked)) f.count(`inner.${k}`, n);
  }
  f.count('innerMaps', inners.size);
  f.count('slots', map.spec.maxEntries);
}
