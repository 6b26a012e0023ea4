import { describe, expect, it } from 'vitest';
import { attachMap, createMap } from '../../src/maps/registry.js';
import { filled, keyOf } from '../support/bytes.js';

// close() detaches this thread's object from the map: its operations throw a
// clear error from then on, while other attachments go on working.
describe('a closed map object', () => {
  for (const type of ['hash', 'array'] as const) {
    it(`${type}: every operation of the closed object throws; another attachment still works`, () => {
      const m = createMap({ type, keySize: 4, valueSize: 4, maxEntries: 4 });
      m.updateU32(1, filled(1));
      const other = attachMap(m.handle);
      const out = new Uint8Array(4);
      other.lookupU32Into(1, out);
      other.close();
      expect(() => other.lookup(keyOf(1))).toThrow(/closed/);
      expect(() => other.lookupInto(keyOf(1), out)).toThrow(/closed/);
      expect(() => other.lookupU32Into(1, out)).toThrow(/closed/);
      expect(() => other.update(keyOf(1), filled(2))).toThrow(/closed/);
      expect(() => other.updateU32(1, filled(2))).toThrow(/closed/);
      expect(() => other.delete(keyOf(1))).toThrow(/closed/);
      expect(() => other.getNextKey(null, new Uint8Array(4))).toThrow(/closed/);
      expect(m.lookup(keyOf(1))).toEqual(filled(1));
      m.destroy();
    });
  }
});
