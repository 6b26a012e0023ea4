import { describe, expect, it } from 'vitest';
import { BPF_NOEXIST } from '../../src/errno.js';
import { filled } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

// The whole key is compared: keys that differ in a single byte, wherever it
// is (including the last byte of a key whose size is not a multiple of 4),
// are different keys.
describe.each(HASH_MODES)('HASH compares the whole key ($mode)', ({ flags }) => {
  const make = useMaps();

  for (const keySize of [1, 3, 4, 7, 16, 17, 33, 64]) {
    it(`keys of ${keySize} bytes differing in one byte, at every position, are different keys`, () => {
      const m = make({ type: 'hash', keySize, valueSize: 4, maxEntries: keySize + 1, flags: { ...flags, zeroSeed: true } });
      const base = new Uint8Array(keySize).fill(0x5a);
      expect(m.update(base, filled(0xff), BPF_NOEXIST)).toBe(0);
      for (let pos = 0; pos < keySize; pos++) {
        const k = base.slice();
        k[pos] ^= 0x01;
        expect(m.lookup(k), `byte ${pos} differs: not the base key`).toBeUndefined();
        expect(m.update(k, filled(pos), BPF_NOEXIST), `byte ${pos}`).toBe(0);
      }
      expect(m.stats().entries).toBe(keySize + 1);
      expect(m.lookup(base)).toEqual(filled(0xff));
      for (let pos = 0; pos < keySize; pos++) {
        const k = base.slice();
        k[pos] ^= 0x01;
        expect(m.lookup(k)).toEqual(filled(pos));
      }
    });
  }

  it('a key given as a view into a larger buffer is compared by its own bytes only', () => {
    const m = make({ type: 'hash', keySize: 3, valueSize: 4, maxEntries: 4, flags });
    const buf = new Uint8Array([9, 1, 2, 3, 9, 9, 9, 9]);
    expect(m.update(buf.subarray(1, 4), filled(1))).toBe(0);
    expect(m.lookup(new Uint8Array([1, 2, 3]))).toEqual(filled(1));
  });
});
