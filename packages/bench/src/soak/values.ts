/**
 * Self-checking values. Every value the soak writes is a stamp: its 4-byte
 * words are stamp, stamp + 1, stamp + 2, ... so any value read back either
 * decodes to one stamp (one whole write) or is torn (words of two writes).
 * All zeroes is a value never written (a fresh array slot, another CPU's
 * window of a per-CPU value), and is whole too.
 */

/** Writes stamp `s` into `v` (its whole length, little-endian words). */
export function stampInto(v: Uint8Array, s: number): void {
  const w = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (let o = 0; o + 4 <= v.length; o += 4) w.setInt32(o, (s + o / 4) | 0, true);
}

/** The stamp a value carries, 0 for all zeroes, or null when it is torn. */
export function stampOf(v: Uint8Array, len = v.length): number | null {
  const w = new DataView(v.buffer, v.byteOffset, len);
  const s = w.getInt32(0, true);
  if (s === 0 && len >= 8 && w.getInt32(4, true) === 0) {
    for (let o = 8; o + 4 <= len; o += 4) if (w.getInt32(o, true) !== 0) return null;
    return 0;
  }
  for (let o = 4; o + 4 <= len; o += 4) if (w.getInt32(o, true) !== ((s + o / 4) | 0)) return null;
  return s;
}
