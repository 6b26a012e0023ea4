import { createHash } from 'node:crypto';

/** Byte helpers shared by the engine tests: keys from numbers, values from a fill byte. */

/** A key of `size` bytes holding `n` little-endian in its first (up to) 4 bytes, the rest zero. */
export function keyOf(n: number, size = 4): Uint8Array {
  const k = new Uint8Array(size);
  for (let i = 0; i < Math.min(4, size); i++) k[i] = (n >>> (8 * i)) & 0xff;
  return k;
}

/** A value of `size` bytes whose bytes are all `b`. */
export function filled(b: number, size = 4): Uint8Array {
  return new Uint8Array(size).fill(b & 0xff);
}

/** A value of `size` bytes derived from `n` (distinct for distinct n in the first 4 bytes). */
export function valueOf(n: number, size = 4): Uint8Array {
  const v = new Uint8Array(size);
  for (let i = 0; i < size; i++) v[i] = (n * 31 + i * 7 + (n >>> (8 * (i & 3)))) & 0xff;
  return v;
}

/** Hex spelling, for keys in Sets and Maps. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The u32 (little-endian) in the first 4 bytes of `b`. */
export function u32Of(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

/**
 * A short fingerprint of large byte arrays (deep-equality of 256 KiB arrays
 * element by element takes seconds): equal bytes, equal fingerprints.
 */
export function digest(b: Uint8Array | undefined): string {
  if (b === undefined) return 'undefined';
  return `${b.length}:${createHash('sha256').update(b).digest('hex')}`;
}
