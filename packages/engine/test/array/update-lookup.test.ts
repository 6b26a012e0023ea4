import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { filled, keyOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// BPF_MAP_TYPE_ARRAY (array_map_update_elem / array_map_lookup_elem /
// array_map_delete_elem): every index below maxEntries exists from creation,
// zeroed; nothing can be inserted or removed, only rewritten.
describe('ARRAY update, lookup and delete', () => {
  const make = useMaps();
  const array = (maxEntries = 10, valueSize = 12) => make({ type: 'array', keySize: 4, valueSize, maxEntries });

  it('every entry exists from creation and starts zeroed', () => {
    const m = array();
    for (let i = 0; i < 10; i++) expect(m.lookup(keyOf(i))).toEqual(new Uint8Array(12));
    expect(m.stats().entries).toBe(10);
  });

  it('ANY and EXIST rewrite an entry in place', () => {
    const m = array();
    expect(m.update(keyOf(3), filled(3, 12), BPF_ANY)).toBe(0);
    expect(m.update(keyOf(4), filled(4, 12), BPF_EXIST)).toBe(0);
    expect(m.lookup(keyOf(3))).toEqual(filled(3, 12));
    expect(m.lookup(keyOf(4))).toEqual(filled(4, 12));
    expect(m.lookup(keyOf(5))).toEqual(new Uint8Array(12));
  });

  it('NOEXIST is -EEXIST (every entry exists) and changes nothing', () => {
    const m = array();
    m.update(keyOf(2), filled(2, 12));
    expect(m.update(keyOf(2), filled(9, 12), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(m.update(keyOf(7), filled(9, 12), BPF_NOEXIST | BPF_F_LOCK)).toBe(-Errno.EEXIST);
    expect(m.lookup(keyOf(2))).toEqual(filled(2, 12));
    expect(m.lookup(keyOf(7))).toEqual(new Uint8Array(12));
  });

  it('an index >= maxEntries is -E2BIG on update and not found on lookup', () => {
    const m = array();
    for (const i of [10, 11, 1000, 0xffffffff]) {
      expect(m.update(keyOf(i), filled(1, 12))).toBe(-Errno.E2BIG);
      expect(m.lookup(keyOf(i))).toBeUndefined();
      expect(m.lookupInto(keyOf(i), new Uint8Array(12))).toBe(-Errno.ENOENT);
    }
    expect(m.updateU32(10, filled(1, 12))).toBe(-Errno.E2BIG);
  });

  it('delete is -EINVAL and leaves the value', () => {
    const m = array();
    m.update(keyOf(1), filled(1, 12));
    expect(m.delete(keyOf(1))).toBe(-Errno.EINVAL);
    expect(m.delete(keyOf(50))).toBe(-Errno.EINVAL);
    expect(m.deleteU32(1)).toBe(-Errno.EINVAL);
    expect(m.lookup(keyOf(1))).toEqual(filled(1, 12));
  });

  it('lookupAndDelete is not supported (-ENOTSUPP) and leaves the value', () => {
    const m = array();
    m.update(keyOf(1), filled(1, 12));
    expect(m.lookupAndDeleteInto(keyOf(1), new Uint8Array(12))).toBe(-Errno.ENOTSUPP);
    expect(m.lookupAndDelete(keyOf(1))).toBeUndefined();
    expect(m.lookup(keyOf(1))).toEqual(filled(1, 12));
  });

  it('bad update flags are -EINVAL, checked before the index', () => {
    const m = array();
    expect(m.update(keyOf(1), filled(1, 12), 3)).toBe(-Errno.EINVAL);
    expect(m.update(keyOf(100), filled(1, 12), 8)).toBe(-Errno.EINVAL);
    expect(m.lookup(keyOf(1))).toEqual(new Uint8Array(12));
  });

  it('the key is the u32 index, little-endian; the numeric path agrees with the byte path', () => {
    const m = array(400);
    expect(m.update(new Uint8Array([0x2c, 0x01, 0, 0]), filled(5, 12))).toBe(0);
    const out = new Uint8Array(12);
    expect(m.lookupU32Into(300, out)).toBe(0);
    expect(out).toEqual(filled(5, 12));
    expect(m.lookup(keyOf(0x2c))).toEqual(new Uint8Array(12));
    expect(m.updateU32(301, filled(6, 12))).toBe(0);
    expect(m.lookup(new Uint8Array([0x2d, 0x01, 0, 0]))).toEqual(filled(6, 12));
  });
});
