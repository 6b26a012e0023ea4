import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { xxh32Bytes, xxh32U32 } from '../../src/hash/xxh32.js';
import { SHORT_KEY_LIMIT, hashKey, hashKeyJs, hashKeyWasm, randomSeed } from '../../src/hash/hasher.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const enc = new TextEncoder();

function le4(word: number): Uint8Array {
  return new Uint8Array([word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff]);
}

describe('xxh32 known answers', () => {
  // Reference values of standard xxHash32 (seed 0 unless noted); each is also
  // checked against xxhash-wasm.
  const vectors: Array<[string, Uint8Array, number, number]> = [
    ['empty', new Uint8Array(0), 0, 0x02cc5d05],
    ['"a"', new Uint8Array([0x61]), 0, 0x550d7456],
    ['"abc"', enc.encode('abc'), 0, 0x32d153ff],
    ['"Nobody inspects the spammish repetition"', enc.encode('Nobody inspects the spammish repetition'), 0, 0xe2293b2f],
  ];
  for (const [name, bytes, seed, expected] of vectors) {
    it(`${name}, seed ${seed}`, () => {
      expect(xxh32Bytes(bytes, 0, bytes.length, seed)).toBe(expected);
      expect(hashKeyJs(bytes, seed)).toBe(expected);
      expect(hashKeyWasm(bytes, seed)).toBe(expected);
      expect(hashKey(bytes, seed)).toBe(expected);
    });
  }

  it('every length 0..600 with seeds 0, 1, 2^31, 2^32-1 matches wasm', () => {
    const buf = new Uint8Array(600);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
    for (const seed of [0, 1, 0x80000000, 0xffffffff]) {
      for (let len = 0; len <= 600; len++) {
        const key = buf.subarray(0, len);
        expect(xxh32Bytes(buf, 0, len, seed)).toBe(hashKeyWasm(key, seed));
      }
    }
  });
});

describe('JS xxh32 agrees with xxhash-wasm', () => {
  it('random bytes (length 0..600), random u32 seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), u32, (bytes, seed) => {
        const wasm = hashKeyWasm(bytes, seed);
        expect(hashKeyJs(bytes, seed)).toBe(wasm);
        expect(hashKey(bytes, seed)).toBe(wasm);
        expect(wasm).toBeGreaterThanOrEqual(0);
        expect(wasm).toBeLessThanOrEqual(0xffffffff);
      }),
      { numRuns: 2000 },
    );
  });

  it('xxh32Bytes honours offset and length inside a larger array', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.nat({ max: 200 }),
        fc.nat({ max: 200 }),
        u32,
        (bytes, a, b, seed) => {
          const offset = Math.min(a, bytes.length);
          const length = Math.min(b, bytes.length - offset);
          const key = bytes.slice(offset, offset + length);
          expect(xxh32Bytes(bytes, offset, length, seed)).toBe(hashKeyWasm(key, seed));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('xxh32U32(w, s) equals the hash of the 4 little-endian bytes of w', () => {
    fc.assert(
      fc.property(u32, u32, (word, seed) => {
        const bytes = le4(word);
        const expected = hashKeyWasm(bytes, seed);
        expect(xxh32Bytes(bytes, 0, 4, seed)).toBe(expected);
        expect(xxh32U32(word, seed)).toBe(expected);
        // A word given as a signed int32 carries the same bits.
        expect(xxh32U32(word | 0, seed)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('SharedArrayBuffer-backed keys', () => {
  it('hash of a SAB subarray at a non-zero offset equals the hash of a copy', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        u32,
        (contents, offset, seed) => {
          const sab = new SharedArrayBuffer(offset + contents.length + 8);
          const whole = new Uint8Array(sab);
          whole.fill(0xa5); // bytes either side of the key must not leak in
          whole.set(contents, offset);
          const view = whole.subarray(offset, offset + contents.length);
          expect(view.buffer).toBeInstanceOf(SharedArrayBuffer);
          const copy = Uint8Array.from(view);
          const expected = hashKeyWasm(copy, seed);
          expect(hashKey(view, seed)).toBe(expected);
          expect(hashKeyJs(view, seed)).toBe(expected);
          expect(hashKeyWasm(view, seed)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('covers both paths explicitly (short and long keys)', () => {
    const sab = new SharedArrayBuffer(128);
    const whole = new Uint8Array(sab);
    for (let i = 0; i < whole.length; i++) whole[i] = (i * 29 + 3) & 0xff;
    for (const len of [4, SHORT_KEY_LIMIT, SHORT_KEY_LIMIT + 1, 100]) {
      const view = whole.subarray(13, 13 + len);
      expect(hashKey(view, 0x12345678)).toBe(hashKey(Uint8Array.from(view), 0x12345678));
    }
  });
});

describe('randomSeed', () => {
  it('returns u32 values that vary', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 64; i++) {
      const s = randomSeed();
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(0xffffffff);
      seen.add(s);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});
