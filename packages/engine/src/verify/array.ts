import { ARRAY_LOCK, ARRAY_SEQ, arraySlotWords, type ArrayMap } from '../maps/array/array-map.js';
import { describeLock } from './owners.js';
import type { Findings } from './report.js';

/**
 * array and percpu_array: every slot exists for the map's life, so what can
 * break is its synchronisation: each slot's lock must be free and its
 * seqlock even once the map is quiescent (an odd one would make every reader
 * retry, then wait on the lock, forever).
 */
export function verifyArray(map: ArrayMap, f: Findings): void {
  const label = map.spec.type;
  const stride = arraySlotWords(map.userValueSize);
  const w = map.slots;
  const slots = map.spec.maxEntries;
  if (w.length < slots * stride) f.problem(`${label}: slot area holds ${Math.floor(w.length / stride)} slots, maxEntries is ${slots}`);
  for (let i = 0; i < slots && (i + 1) * stride <= w.length; i++) {
    const base = i * stride;
    const lockWord = Atomics.load(w, base + ARRAY_LOCK);
    if (lockWord !== 0) f.problem(`${label} slot ${i}: lock ${describeLock(map.domain, lockWord)} while the map is quiescent`);
    const seq = Atomics.load(w, base + ARRAY_SEQ);
    if ((seq & 1) !== 0) f.problem(`${label} slot ${i}: seqlock ${seq} is odd (a write section never closed)`);
  }
  f.count('slots', slots);
}
