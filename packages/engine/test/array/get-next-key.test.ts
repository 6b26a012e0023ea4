import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { keyOf, u32Of } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// array_map_get_next_key: no key or an index out of range -> index 0; the
// last index -> -ENOENT; otherwise index + 1.
describe('ARRAY getNextKey', () => {
  const make = useMaps();
  const array = () => make({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 6 });

  it('getNextKey(null) is index 0', () => {
    const next = new Uint8Array(4).fill(9);
    expect(array().getNextKey(null, next)).toBe(0);
    expect(u32Of(next)).toBe(0);
  });

  it('getNextKey(an index out of range) is index 0', () => {
    const m = array();
    for (const i of [6, 7, 1 << 20, 0xffffffff]) {
      const next = new Uint8Array(4).fill(9);
      expect(m.getNextKey(keyOf(i), next)).toBe(0);
      expect(u32Of(next)).toBe(0);
    }
  });

  it('getNextKey(i) is i + 1 below the last index', () => {
    const m = array();
    const next = new Uint8Array(4);
    for (let i = 0; i < 5; i++) {
      expect(m.getNextKey(keyOf(i), next)).toBe(0);
      expect(u32Of(next)).toBe(i + 1);
    }
  });

  it('getNextKey(the last index) is -ENOENT', () => {
    expect(array().getNextKey(keyOf(5), new Uint8Array(4))).toBe(-Errno.ENOENT);
  });

  it('keys() walks every index once, in order', () => {
    expect([...array().keys()].map(u32Of)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a one-entry array: null gives 0, and 0 is the last', () => {
    const m = make({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
    const next = new Uint8Array(4);
    expect(m.getNextKey(null, next)).toBe(0);
    expect(m.getNextKey(keyOf(0), next)).toBe(-Errno.ENOENT);
  });
});
