/** The order a loop walks its keys in. */
export type KeyOrder = 'sequential' | 'shuffled';

/** mulberry32: a small seeded PRNG, so that a seed gives the same key order on every run and machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The keys 0..n-1 in the given order, in shared memory (every CPU of every
 * run reads the same sequence without a copy). 'shuffled' is a Fisher-Yates
 * permutation drawn from the seed.
 */
export function keySequence(n: number, order: KeyOrder, seed: number): SharedArrayBuffer {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 30) throw new RangeError(`key count must be an integer in 1..2^30, got ${n}`);
  if (order !== 'sequential' && order !== 'shuffled') throw new TypeError(`key order must be sequential or shuffled, got ${String(order)}`);
  const sab = new SharedArrayBuffer(n * 4);
  const keys = new Uint32Array(sab);
  for (let i = 0; i < n; i++) keys[i] = i;
  if (order === 'shuffled') {
    const rnd = mulberry32(seed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const t = keys[i]!;
      keys[i] = keys[j]!;
      keys[j] = t;
    }
  }
  return sab;
}
