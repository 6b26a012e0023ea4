/**
 * Key hashing for the engine: xxHash32, picked by key length.
 *
 *  - Keys of up to SHORT_KEY_LIMIT bytes use the plain-JS implementation
 *    (./xxh32.ts): for short keys the cost of entering wasm (copying the key
 *    into wasm memory plus the call boundary) outweighs the hashing itself.
 *  - Longer keys use xxhash-wasm's h32Raw.
 *
 * Both produce the standard xxHash32, so the choice never changes a hash
 * (the tests check JS and wasm agree on every length).
 */
import xxhash from 'xxhash-wasm';
import { xxh32Bytes, xxh32BytesSigned } from './xxh32.js';

/** Keys of at most this many bytes are hashed in JS; longer ones in wasm. */
export const SHORT_KEY_LIMIT = 16;

// xxhash-wasm can only be initialised asynchronously (WebAssembly.instantiate).
// Awaiting it once at module scope means that by the time any importer runs,
// the instance is ready, and the rest of the engine can hash synchronously.
const wasm = await xxhash();
const h32Raw = wasm.h32Raw;

// Note on SharedArrayBuffer-backed keys: h32Raw copies its argument into wasm
// memory with `Uint8Array.prototype.set`, which reads a view of a
// SharedArrayBuffer (at any byteOffset) like any other view; it hashes exactly
// `view.byteLength` bytes from the view's start. So SAB views are passed
// straight through, with no scratch copy (checked by the tests).

/** xxHash32 of all of `bytes` with `seed` (u32); JS for <= 16 bytes, wasm above. */
export function hashKey(bytes: Uint8Array, seed: number): number {
  const length = bytes.length;
  if (length <= SHORT_KEY_LIMIT) {
    return xxh32Bytes(bytes, 0, length, seed);
  }
  return h32Raw(bytes, seed);
}

/** xxHash32 of all of `bytes`, always via the JS implementation. */
/** hashKey as a signed int32, as the maps store it (no heap number for hashes >= 2^31). */
export function hashKeySigned(bytes: Uint8Array, seed: number): number {
  const length = bytes.length;
  if (length <= SHORT_KEY_LIMIT) return xxh32BytesSigned(bytes, 0, length, seed);
  return h32Raw(bytes, seed) | 0;
}

export function hashKeyJs(bytes: Uint8Array, seed: number): number {
  return xxh32Bytes(bytes, 0, bytes.length, seed);
}

/** xxHash32 of all of `bytes`, always via xxhash-wasm. */
export function hashKeyWasm(bytes: Uint8Array, seed: number): number {
  // h32Raw already returns `>>> 0`; the wasm import converts seed with ToInt32,
  // so u32 seeds above 2^31 - 1 keep the same 32 bits.
  return h32Raw(bytes, seed);
}

// Reused so randomSeed() does not allocate.
const seedScratch = new Uint32Array(1);

/** A random u32 seed from the platform CSPRNG. */
export function randomSeed(): number {
  crypto.getRandomValues(seedScratch);
  return seedScratch[0]!;
}
