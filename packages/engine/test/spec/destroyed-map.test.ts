import { describe, expect, it } from 'vitest';
import { attachMap, createMap } from '../../src/maps/registry.js';
import { keyOf, valueOf } from '../support/bytes.js';

// destroy() ends a map for every thread: its handle can no longer be attached
// and every attachment's next operation throws a clear error.
describe('a destroyed map', () => {
  for (const type of ['hash', 'array'] as const) {
    it(`${type}: a handle taken before destroy() cannot be attached`, () => {
      const m = createMap({ type, keySize: 4, valueSize: 4, maxEntries: 4 });
      const handle = m.handle;
      expect(attachMap(handle).lookup(keyOf(0)) !== null).toBe(true);
      m.destroy();
      expect(() => attachMap(handle)).toThrow(/was destroyed; its handle can no longer be attached/);
    });

    it(`${type}: a handle taken after destroy() cannot be attached`, () => {
      const m = createMap({ type, keySize: 4, valueSize: 4, maxEntries: 4 });
      m.destroy();
      expect(() => attachMap(m.handle)).toThrow(/destroyed/);
    });

    it(`${type}: another attachment's next operation throws, naming the map as destroyed`, () => {
      const m = createMap({ type, keySize: 4, valueSize: 4, maxEntries: 4 });
      m.update(keyOf(1), valueOf(1));
      const other = attachMap(m.handle);
      expect(other.lookup(keyOf(1))).toEqual(valueOf(1));
      m.destroy();
      expect(() => other.lookup(keyOf(1))).toThrow(/destroyed/);
      expect(() => other.update(keyOf(1), valueOf(2))).toThrow(/destroyed/);
      expect(() => other.getNextKey(null, new Uint8Array(4))).toThrow(/destroyed/);
      expect(() => other.lookupBatch(null, 4)).toThrow(/destroyed/);
    });
  }

  it('something that is not a handle is refused with a TypeError', () => {
    expect(() => attachMap(null)).toThrow(TypeError);
    expect(() => attachMap({ kind: 'other' })).toThrow(/not a rightsize map handle/);
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(() => attachMap({ ...m.handle, header: new SharedArrayBuffer(8) })).toThrow(TypeError);
    m.destroy();
  });
});
