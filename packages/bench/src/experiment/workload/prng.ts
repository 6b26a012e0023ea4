/**
 * xoshiro128** (Blackman and Vigna, 2018): a small, fast 32-bit generator
 * with a 2^128 - 1 period that passes BigCrush. The experiment needs one
 * independent stream per CPU from one scenario seed, so a stream is seeded
 * through splitmix32 of (seed, stream): nearby seeds and stream ids still
 * give unrelated states (xoshiro must never start from the all-zero state,
 * which splitmix32 of any input cannot produce four times in a row).
 */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in 0..2^32-1, got ${seed}`);
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) throw new RangeError(`stream must be an integer in 0..2^32-1, got ${stream}`);
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  intBetween(min: number, max: number): number {
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  /**
   * A Pareto(xm = min, alpha) draw by inverse transform, floored to an
   * integer and capped at max: P(X > x) = (min / x)^alpha, the heavy tail of
   * flow sizes (most flows are short, a few are very long).
   */
  paretoInt(min: number, alpha: number, max: number): number {
    // 1 - u is in (0, 1], so the power never divides by zero.
    const u = 1 - this.nextFloat();
    const x = Math.floor(min / u ** (1 / alpha));
    return x > max ? max : x;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
