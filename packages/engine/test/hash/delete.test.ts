import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { filled, keyOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

describe.each(HASH_MODES)('HASH delete and lookupAndDelete ($mode)', ({ flags }) => {
  const make = useMaps();
  const hash = () => make({ type: 'hash', keySize: 4, valueSize: 12, maxEntries: 16, flags });

  it('delete of a missing key is -ENOENT', () => {
    const m = hash();
    expect(m.delete(keyOf(1))).toBe(-Errno.ENOENT);
    m.update(keyOf(2), filled(2, 12));
    expect(m.delete(keyOf(1))).toBe(-Errno.ENOENT);
    expect(m.stats().entries).toBe(1);
  });

  it('delete of a present key removes it and only it', () => {
    const m = hash();
    m.update(keyOf(1), filled(1, 12));
    m.update(keyOf(2), filled(2, 12));
    expect(m.delete(keyOf(1))).toBe(0);
    expect(m.lookup(keyOf(1))).toBeUndefined();
    expect(m.lookup(keyOf(2))).toEqual(filled(2, 12));
    expect(m.stats().entries).toBe(1);
    expect(m.delete(keyOf(1))).toBe(-Errno.ENOENT);
  });

  it('lookupAndDelete returns the value and removes the key', () => {
    const m = hash();
    m.update(keyOf(3), filled(33, 12));
    m.update(keyOf(4), filled(44, 12));
    expect(m.lookupAndDelete(keyOf(3))).toEqual(filled(33, 12));
    expect(m.lookup(keyOf(3))).toBeUndefined();
    expect(m.lookup(keyOf(4))).toEqual(filled(44, 12));
    expect(m.stats().entries).toBe(1);
  });

  it('lookupAndDelete of a missing key returns undefined (lookupAndDeleteInto: -ENOENT)', () => {
    const m = hash();
    expect(m.lookupAndDelete(keyOf(3))).toBeUndefined();
    const out = filled(0xee, 12);
    expect(m.lookupAndDeleteInto(keyOf(3), out)).toBe(-Errno.ENOENT);
    expect(out).toEqual(filled(0xee, 12));
  });

  it('a deleted key can be inserted again with its new value', () => {
    const m = hash();
    m.update(keyOf(5), filled(5, 12));
    m.delete(keyOf(5));
    expect(m.update(keyOf(5), filled(6, 12))).toBe(0);
    expect(m.lookup(keyOf(5))).toEqual(filled(6, 12));
  });
});
