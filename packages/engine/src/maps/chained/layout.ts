/**
 * Where an element's fields sit, in Int32 words from the element's start.
 *
 *   [NEXT] chain link: an element index (>= 0), or a "nulls" terminator
 *          ~bucket (< 0) naming the bucket the chain belongs to (checked by
 *          the consistency checker; readers rely on the bucket seqlock).
 *   [HASH] the key's full 32-bit hash (cheap reject before comparing keys;
 *          a resize rehashes without touching the key bytes).
 *   [AUX]  free-list link while the element is free. It is deliberately not
 *          NEXT: a reader still standing on a just-deleted element walks on
 *          along NEXT (the kernel overlays its free-list node the same way).
 *   [EXTRA...] words a map type adds (LRU links and reference bit).
 *   key words (keySize rounded up to 4, zero padded so whole words compare),
 *   value (starts 8-byte aligned; for per-CPU types nCpus values of
 *   roundup(valueSize, 8) bytes).
 *
 * Elements carry no seqlock of their own: the bucket's seqlock covers the
 * chain and every value in it (two atomic loads per lookup instead of two per
 * element visited; an atomic load costs ~8 ns here, a plain one ~1 ns).
 */
export const NEXT = 0;
export const HASH = 1;
export const AUX = 2;
export const FIXED_WORDS = 3;

export interface ElemLayout {
  readonly keySize: number;
  readonly keyWords: number;
  /** Bytes of the stored value area (per-CPU types: nCpus values). */
  readonly valueBytes: number;
  readonly extraWords: number;
  readonly keyOff: number;
  readonly valOff: number;
  /** Words per element (even, so that every value starts 8-byte aligned). */
  readonly stride: number;
}

export function elemLayout(keySize: number, valueBytes: number, extraWords = 0): ElemLayout {
  const keyWords = (keySize + 3) >>> 2;
  const keyOff = FIXED_WORDS + extraWords;
  const valOff = (keyOff + keyWords + 1) & ~1;
  const stride = (valOff + ((valueBytes + 3) >>> 2) + 1) & ~1;
  return { keySize, keyWords, valueBytes, extraWords, keyOff, valOff, stride };
}

/** `~b`: the terminator of bucket b's chain (always negative). */
export function nullsOf(bucket: number): number {
  return ~bucket;
}
