import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { attachMap } from '../../src/maps/registry.js';
import { filled, keyOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

// A second attachment of a map (here in the same thread; in another thread it
// is the same code) has its own views of the shared memory, loaded on first
// touch: every lookup path must work from a fresh attachment.
describe.each(HASH_MODES)('HASH seen through a fresh attachment ($mode)', ({ flags }) => {
  const make = useMaps();

  it('finds the entries written through the first one, by every lookup path', () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64, flags });
    for (let k = 0; k < 40; k++) m.updateU32(k, filled(k));
    const out = new Uint8Array(4);
    const fresh = () => attachMap(m.handle);
    expect(fresh().lookupU32Into(7, out)).toBe(0);
    expect(out).toEqual(filled(7));
    expect(fresh().lookupInto(keyOf(8), out)).toBe(0);
    expect(out).toEqual(filled(8));
    expect(fresh().lookup(keyOf(9))).toEqual(filled(9));
    expect(fresh().lookupU32Into(100, out)).toBe(-Errno.ENOENT);
  });

  it('a fresh attachment of an empty map, then entries added through the other one', () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64, flags });
    const other = attachMap(m.handle);
    const out = new Uint8Array(4);
    expect(other.lookupU32Into(1, out)).toBe(-Errno.ENOENT);
    m.updateU32(1, filled(1));
    expect(other.lookupU32Into(1, out)).toBe(0);
    expect(out).toEqual(filled(1));
    expect(other.updateU32(2, filled(2))).toBe(0);
    expect(m.lookup(keyOf(2))).toEqual(filled(2));
  });
});
