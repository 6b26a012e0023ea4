import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { filled, keyOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

const MAX = 5;

// A HASH map holds at most maxEntries elements: a new key then gets -E2BIG
// (the kernel's alloc_htab_elem failing), while replacing a key in place needs
// no new element and still works.
describe.each(HASH_MODES)('HASH full map ($mode)', ({ flags }) => {
  const make = useMaps();
  const full = () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: MAX, flags });
    for (let i = 0; i < MAX; i++) expect(m.update(keyOf(i), filled(i, 8), BPF_NOEXIST)).toBe(0);
    return m;
  };

  it('a new key with ANY is -E2BIG and is not inserted', () => {
    const m = full();
    expect(m.update(keyOf(100), filled(1, 8), BPF_ANY)).toBe(-Errno.E2BIG);
    expect(m.lookup(keyOf(100))).toBeUndefined();
    expect(m.stats().entries).toBe(MAX);
  });

  it('a new key with NOEXIST is -E2BIG and is not inserted', () => {
    const m = full();
    expect(m.update(keyOf(100), filled(1, 8), BPF_NOEXIST)).toBe(-Errno.E2BIG);
    expect(m.lookup(keyOf(100))).toBeUndefined();
    expect(m.stats().entries).toBe(MAX);
  });

  it('a new key with EXIST is -ENOENT (nothing would be inserted)', () => {
    const m = full();
    expect(m.update(keyOf(100), filled(1, 8), BPF_EXIST)).toBe(-Errno.ENOENT);
  });

  it('replacing an existing key with ANY or EXIST still succeeds when full', () => {
    const m = full();
    expect(m.update(keyOf(2), filled(77, 8), BPF_ANY)).toBe(0);
    expect(m.update(keyOf(3), filled(88, 8), BPF_EXIST)).toBe(0);
    expect(m.lookup(keyOf(2))).toEqual(filled(77, 8));
    expect(m.lookup(keyOf(3))).toEqual(filled(88, 8));
    expect(m.stats().entries).toBe(MAX);
  });

  it('a failed insert into a full map leaves every entry as it was', () => {
    const m = full();
    m.update(keyOf(100), filled(1, 8));
    for (let i = 0; i < MAX; i++) expect(m.lookup(keyOf(i))).toEqual(filled(i, 8));
    expect([...m.keys()]).toHaveLength(MAX);
  });

  it('after a delete there is room for exactly one new key', () => {
    const m = full();
    expect(m.delete(keyOf(0))).toBe(0);
    expect(m.update(keyOf(100), filled(1, 8), BPF_NOEXIST)).toBe(0);
    expect(m.update(keyOf(101), filled(1, 8), BPF_NOEXIST)).toBe(-Errno.E2BIG);
    expect(m.stats().entries).toBe(MAX);
  });

  it('filling, emptying and refilling many times keeps the bound exact (elements are reused)', () => {
    const m = full();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < MAX; i++) expect(m.delete(keyOf(round * MAX + i))).toBe(0);
      expect(m.stats().entries).toBe(0);
      for (let i = 0; i < MAX; i++) expect(m.update(keyOf((round + 1) * MAX + i), filled(i, 8))).toBe(0);
      expect(m.update(keyOf(1e6), filled(1, 8))).toBe(-Errno.E2BIG);
    }
  });
});
