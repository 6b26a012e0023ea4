/**
 * xxHash32 in plain JavaScript, written from the public specification
 * (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md).
 *
 * Used for short keys (<= 16 bytes), where crossing into WebAssembly (copying
 * the key into wasm memory and making the call) costs more than hashing.
 *
 * Integer conventions, applied throughout:
 *  - Intermediate state is kept as a signed int32 (`| 0`). JS numbers are
 *    doubles, so without the truncation sums would grow past 2^32 and
 *    products past 2^53 and lose precision; int32 values also stay as V8 "small
 *    integers" in registers, which keeps the functions allocation-free.
 *  - Multiplication uses `Math.imul`, which returns the low 32 bits of the
 *    product exactly. A plain `a * b` on two 32-bit values yields up to 64
 *    significant bits and the double rounds away the low bits we need.
 *    `Math.imul` applies ToInt32 to its arguments, so the primes may be written
 *    as their unsigned values.
 *  - Results are returned as `>>> 0`: the same 32 bits read as an unsigned
 *    number, so hashes compare equal to the u32 that xxhash-wasm and other
 *    implementations report.
 *
 * Nothing here allocates: no DataView, no subarray, no temporaries.
 */

// The five 32-bit primes of the specification.
const PRIME32_1 = 0x9e3779b1;
const PRIME32_2 = 0x85ebca77;
const PRIME32_3 = 0xc2b2ae3d;
const PRIME32_4 = 0x27d4eb2f;
const PRIME32_5 = 0x165667b1;

/** Rotate a 32-bit value left by `r` (1..31). `>>>` brings in zeros, so the OR is exact. */
function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** Reads the little-endian u32 at `i` (as int32; only the bits matter). */
function readU32LE(bytes: Uint8Array, i: number): number {
  return bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
}

/** One accumulator round over a 4-byte lane of a 16-byte stripe. */
function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, PRIME32_2)) | 0;
  acc = rotl(acc, 13);
  return Math.imul(acc, PRIME32_1);
}

/**
 * The stripe phase for inputs of 16 bytes or more: runs the four accumulators
 * over every whole 16-byte stripe of `bytes[offset .. offset + length)` and
 * returns their converged value.
 *
 * Kept out of xxh32Bytes on purpose: it makes xxh32Bytes small enough for V8
 * to inline into its callers, which measured ~35% faster for short keys (the
 * engine's common case), where this loop never runs.
 */
function convergeStripes(bytes: Uint8Array, offset: number, length: number, seed: number): number {
  // Four accumulators, seeded as the spec says. `| 0` wraps the additions.
  let v1 = (seed + PRIME32_1 + PRIME32_2) | 0;
  let v2 = (seed + PRIME32_2) | 0;
  let v3 = seed | 0;
  let v4 = (seed - PRIME32_1) | 0;
  let p = offset;
  const limit = offset + length - 16;
  do {
    v1 = round(v1, readU32LE(bytes, p));
    v2 = round(v2, readU32LE(bytes, p + 4));
    v3 = round(v3, readU32LE(bytes, p + 8));
    v4 = round(v4, readU32LE(bytes, p + 12));
    p += 16;
  } while (p <= limit);
  return (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
}

/**
 * xxHash32 of `bytes[offset .. offset + length)` with `seed` (taken as u32).
 * Returns the hash as an unsigned 32-bit number.
 */
export function xxh32Bytes(bytes: Uint8Array, offset: number, length: number, seed: number): number {
  return xxh32BytesSigned(bytes, offset, length, seed) >>> 0;
}

/**
 * The same hash as a signed int32 (the same 32 bits). The maps store and
 * compare hashes in Int32Arrays, and a signed result stays a small integer
 * in V8, where an unsigned one above 2^31 is boxed in a heap number (an
 * allocation per call whenever the call is not inlined).
 */
export function xxh32BytesSigned(bytes: Uint8Array, offset: number, length: number, seed: number): number {
  const end = offset + length;
  let p = offset;
  let h: number;
  if (length >= 16) {
    h = convergeStripes(bytes, offset, length, seed);
    p += length & ~15; // skip the whole stripes just consumed
  } else {
    // Short input: a single accumulator.
    h = (seed + PRIME32_5) | 0;
  }

  // The input length joins the state modulo 2^32.
  h = (h + length) | 0;

  // Remaining whole 4-byte words.
  while (p + 4 <= end) {
    h = (h + Math.imul(readU32LE(bytes, p), PRIME32_3)) | 0;
    h = Math.imul(rotl(h, 17), PRIME32_4);
    p += 4;
  }

  // Remaining single bytes (0..3).
  while (p < end) {
    h = (h + Math.imul(bytes[p]!, PRIME32_5)) | 0;
    h = Math.imul(rotl(h, 11), PRIME32_1);
    p++;
  }

  // Final avalanche: spread every input bit over the whole output.
  h ^= h >>> 15;
  h = Math.imul(h, PRIME32_2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME32_3);
  h ^= h >>> 16;
  return h;
}

/**
 * xxHash32 of the 4 little-endian bytes of `word` with `seed`; equal to
 * `xxh32Bytes` over those 4 bytes. This is the fast path for 4-byte keys.
 *
 * Specialised by hand for length 4: no stripe loop (length < 16), exactly one
 * word step and no byte steps, rotations written out, no calls or loops.
 */
export function xxh32U32(word: number, seed: number): number {
  return xxh32U32Signed(word, seed) >>> 0;
}

/** xxh32U32 as a signed int32 (see xxh32BytesSigned for why). */
export function xxh32U32Signed(word: number, seed: number): number {
  // seed + PRIME32_5 + length(4), wrapped to 32 bits.
  let h = (seed + PRIME32_5 + 4) | 0;
  // The single 4-byte word step: h += word * P3; h = rotl(h, 17) * P4.
  h = (h + Math.imul(word, PRIME32_3)) | 0;
  h = Math.imul((h << 17) | (h >>> 15), PRIME32_4);
  // Avalanche.
  h ^= h >>> 15;
  h = Math.imul(h, PRIME32_2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME32_3);
  h ^= h >>> 16;
  return h;
}
