import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { filled, keyOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

// The kernel's update flag checks (htab_map_update_elem / check_flags), in both
// element-allocation modes.
describe.each(HASH_MODES)('HASH update flags ($mode)', ({ flags }) => {
  const make = useMaps();
  const hash = () => make({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8, flags });

  it('ANY on a new key inserts it (0)', () => {
    const m = hash();
    expect(m.update(keyOf(1), filled(7), BPF_ANY)).toBe(0);
    expect(m.lookup(keyOf(1))).toEqual(filled(7));
    expect(m.stats().entries).toBe(1);
  });

  it('ANY on an existing key replaces its value (0)', () => {
    const m = hash();
    m.update(keyOf(1), filled(7));
    expect(m.update(keyOf(1), filled(8), BPF_ANY)).toBe(0);
    expect(m.lookup(keyOf(1))).toEqual(filled(8));
    expect(m.stats().entries).toBe(1);
  });

  it('NOEXIST on a new key inserts it (0)', () => {
    const m = hash();
    expect(m.update(keyOf(2), filled(3), BPF_NOEXIST)).toBe(0);
    expect(m.lookup(keyOf(2))).toEqual(filled(3));
  });

  it('NOEXIST on an existing key is -EEXIST and keeps the old value', () => {
    const m = hash();
    m.update(keyOf(1), filled(7));
    expect(m.update(keyOf(1), filled(9), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(m.lookup(keyOf(1))).toEqual(filled(7));
    expect(m.stats().entries).toBe(1);
  });

  it('EXIST on an existing key replaces its value (0)', () => {
    const m = hash();
    m.update(keyOf(1), filled(7));
    expect(m.update(keyOf(1), filled(5), BPF_EXIST)).toBe(0);
    expect(m.lookup(keyOf(1))).toEqual(filled(5));
  });

  it('EXIST on a missing key is -ENOENT and inserts nothing', () => {
    const m = hash();
    m.update(keyOf(1), filled(7));
    expect(m.update(keyOf(2), filled(5), BPF_EXIST)).toBe(-Errno.ENOENT);
    expect(m.lookup(keyOf(2))).toBeUndefined();
    expect(m.stats().entries).toBe(1);
  });

  it('BPF_F_LOCK may be or-ed into ANY, NOEXIST and EXIST', () => {
    const m = hash();
    expect(m.update(keyOf(1), filled(1), BPF_F_LOCK)).toBe(0);
    expect(m.update(keyOf(1), filled(2), BPF_F_LOCK | BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(m.update(keyOf(1), filled(3), BPF_F_LOCK | BPF_EXIST)).toBe(0);
    expect(m.update(keyOf(2), filled(4), BPF_F_LOCK | BPF_EXIST)).toBe(-Errno.ENOENT);
    expect(m.update(keyOf(2), filled(5), BPF_F_LOCK | BPF_NOEXIST)).toBe(0);
    expect(m.lookup(keyOf(1))).toEqual(filled(3));
    expect(m.lookup(keyOf(2))).toEqual(filled(5));
  });

  it('flags outside {0, 1, 2, 4, 5, 6} are -EINVAL and change nothing, for new and existing keys', () => {
    const m = hash();
    m.update(keyOf(1), filled(7));
    const bad = [3, 7, 8, 9, 16, 0x100, -1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 0.5, 1.5, Number.NaN, Infinity];
    for (const f of bad) {
      expect(m.update(keyOf(1), filled(9), f), `flags ${f} on an existing key`).toBe(-Errno.EINVAL);
      expect(m.update(keyOf(2), filled(9), f), `flags ${f} on a new key`).toBe(-Errno.EINVAL);
    }
    expect(m.lookup(keyOf(1))).toEqual(filled(7));
    expect(m.lookup(keyOf(2))).toBeUndefined();
    expect(m.stats().entries).toBe(1);
  });

  it('a failed update (EEXIST, ENOENT, EINVAL) leaves every value and the entry count as they were', () => {
    const m = hash();
    for (let i = 0; i < 4; i++) m.update(keyOf(i), filled(i + 10));
    const before = [...m.keys()].map((k) => [k, m.lookup(k)]);
    expect(m.update(keyOf(0), filled(99), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(m.update(keyOf(5), filled(99), BPF_EXIST)).toBe(-Errno.ENOENT);
    expect(m.update(keyOf(1), filled(99), 3)).toBe(-Errno.EINVAL);
    expect(m.update(keyOf(6), filled(99), 8)).toBe(-Errno.EINVAL);
    expect(m.stats().entries).toBe(4);
    expect([...m.keys()].map((k) => [k, m.lookup(k)])).toEqual(before);
  });

  it('the numeric-key path (updateU32 / lookupU32Into) is the same key as its 4 little-endian bytes', () => {
    const m = hash();
    expect(m.updateU32(0x04030201, filled(6), BPF_NOEXIST)).toBe(0);
    expect(m.lookup(new Uint8Array([1, 2, 3, 4]))).toEqual(filled(6));
    expect(m.update(new Uint8Array([1, 2, 3, 4]), filled(8), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    const out = new Uint8Array(4);
    expect(m.lookupU32Into(0x04030201, out)).toBe(0);
    expect(out).toEqual(filled(6));
    expect(m.deleteU32(0x04030201)).toBe(0);
    expect(m.lookupU32Into(0x04030201, out)).toBe(-Errno.ENOENT);
  });
});
