import { AR_DEAD, AR_ENTRY_LOCK, AR_ENTRY_SEQ, AR_RESIZE_LOCK, AR_NEXT_SEG, AR_NSUB, AR_SEG_DIR, AR_SIZE, AR_VERSION, type ArrayResizeMap } from '../maps/array-resize/array-resize-map.js';
import { arraySlotWords } from '../maps/array/array-map.js';
import { describeLock } from './owners.js';
import type { Findings } from './report.js';

/**
 * array_resize: the published size (VERSION even, SIZE = min(NSUB x SIZE of
 * a sub-array, maxEntries), NSUB within the bound), the directory (a segment
 * id below NEXT_SEG for each live sub-array, 0 after), and every entry of
 * every live sub-array: lock free, seqlock even and not DEAD (only a shrink
 * marks entries DEAD, and only in the sub-arrays it drops).
 */
export function verifyArrayResize(map: ArrayResizeMap, f: Findings): void {
  const label = 'array_resize';
  const h = map.header.words;
  const spec = map.spec;
  const sub = spec.arrayResize.subArraySize;
  const maxSubs = Math.ceil(spec.maxEntries / sub);
  const resizeLock = Atomics.load(h, AR_RESIZE_LOCK);
  if (resizeLock !== 0) f.problem(`${label}: resize lock ${describeLock(map.domain, resizeLock)} while the map is quiescent`);
  const version = Atomics.load(h, AR_VERSION);
  if ((version & 1) !== 0) f.problem(`${label}: VERSION ${version} is odd (a resize never finished publishing)`);
  const nsub = Atomics.load(h, AR_NSUB);
  const size = Atomics.load(h, AR_SIZE);
  const nextSeg = Atomics.load(h, AR_NEXT_SEG);
  if (nsub < 0 || nsub > maxSubs) f.problem(`${label}: NSUB ${nsub} is outside 0..${maxSubs}`);
  if (size !== Math.min(nsub * sub, spec.maxEntries)) f.problem(`${label}: SIZE ${size} does not match NSUB ${nsub} sub-arrays of ${sub}`);
  const dir = new Int32Array(map.segments.get(AR_SEG_DIR));
  const stride = arraySlotWords(spec.valueSize);
  const seen = new Set<number>();
  let entries = 0;
  for (let k = 0; k < maxSubs; k++) {
    const id = Atomics.load(dir, k);
    if (k >= nsub) {
      if (id !== 0) f.problem(`${label}: directory slot ${k} names segment ${id}, past NSUB ${nsub}`);
      continue;
    }
    if (id <= 0 || id >= nextSeg || seen.has(id)) {
      f.problem(`${label}: directory slot ${k} names segment ${id} (${seen.has(id) ? 'twice' : `not a live id below ${nextSeg}`})`);
      continue;
    }
    seen.add(id);
    const n = Math.min(sub, spec.maxEntries - k * sub);
    const w = new Int32Array(map.segments.get(id));
    if (w.length !== n * stride) f.problem(`${label}: sub-array ${k} (segment ${id}) has ${w.length / stride} entries, expected ${n}`);
    for (let e = 0; e < n && (e + 1) * stride <= w.length; e++) {
      const base = e * stride;
      const lockWord = Atomics.load(w, base + AR_ENTRY_LOCK);
      if (lockWord !== 0) f.problem(`${label} entry ${k * sub + e}: lock ${describeLock(map.domain, lockWord)} while the map is quiescent`);
      const seq = Atomics.load(w, base + AR_ENTRY_SEQ);
      if (seq === AR_DEAD) f.problem(`${label} entry ${k * sub + e}: DEAD in a live sub-array`);
      else if ((seq & 1) !== 0) f.problem(`${label} entry ${k * sub + e}: seqlock ${seq} is odd (a write section never closed)`);
      entries++;
    }
  }
  f.count('subArrays', nsub);
  f.count('slots', entries);
}
