import { Errno } from '@rightsize/engine';
import { describe, expect, it } from 'vitest';
import { createReference } from '../src/references/create.js';
import { REFERENCE_KINDS } from '../src/references/reference.js';
import { keyString } from '../src/references/sharedmap.js';

describe('the benchmark references', () => {
  for (const kind of REFERENCE_KINDS) {
    it(`${kind}: finds the keys it holds, and refuses a new key past its bound`, () => {
      const ref = createReference(kind, { maxEntries: 64, valueSize: 50, keySpace: 128 });
      for (let k = 0; k < 64; k++) expect(ref.update(k)).toBe(0);
      expect(ref.size).toBe(64);
      for (let k = 0; k < 64; k++) expect(ref.lookup(k)).toBe(0);
      // Replacing a present key still works when full.
      expect(ref.update(5)).toBe(0);
      expect(ref.lookup(100)).toBe(-Errno.ENOENT);
      expect(ref.update(100)).toBe(-Errno.E2BIG);
    });
  }

  it('sharedmap keys: 4 nonzero UTF-16 units, distinct for distinct keys', () => {
    const seen = new Set<string>();
    for (const k of [0, 1, 255, 256, 65535, 65536, 0x01000000, 0xffffffff]) {
      const s = keyString(k);
      expect(s).toHaveLength(4);
      for (let i = 0; i < 4; i++) expect(s.charCodeAt(i)).not.toBe(0);
      seen.add(s);
    }
    expect(seen.size).toBe(8);
  });

  it('refuses an unknown kind', () => {
    expect(() => createReference('btree' as never, { maxEntries: 1, valueSize: 4, keySpace: 1 })).toThrow(TypeError);
  });
});
