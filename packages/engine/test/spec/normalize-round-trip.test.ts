import { describe, expect, it } from 'vitest';
import { attachMap, createMap } from '../../src/maps/registry.js';
import { normalizeSpec, type MapSpec } from '../../src/spec/map-spec.js';
import { keyOf, valueOf } from '../support/bytes.js';

// attachMap checks a handle's spec again with normalizeSpec, so a normalized
// spec (defaults filled in, sections of other types included) must normalize
// to itself, also after a structured clone (what postMessage does to a handle).

const SPECS: MapSpec[] = [
  { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 5 },
  { type: 'hash', keySize: 16, valueSize: 56, maxEntries: 100, flags: { noPrealloc: true, zeroSeed: true }, memoryBudget: 1 << 20 },
  { type: 'percpu_hash', keySize: 4, valueSize: 5, maxEntries: 8, nCpus: 3 },
  { type: 'array', keySize: 4, valueSize: 4, maxEntries: 5 },
  { type: 'percpu_array', keySize: 4, valueSize: 12, maxEntries: 4, nCpus: 2 },
  { type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 8 },
  { type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 1000, resize: { growAt: 0.8, shrinkAt: 0.2 } },
  { type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 5 },
  { type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 4096, arrayResize: { subArraySize: 256, initialEntries: 512 } },
  { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 2 } },
];

describe('normalizeSpec of a normalized spec', () => {
  for (const spec of SPECS) {
    it(`${spec.type} ${JSON.stringify(spec)} normalizes to itself, also after a structured clone`, () => {
      const once = normalizeSpec(spec);
      expect(normalizeSpec(once)).toEqual(once);
      expect(normalizeSpec(structuredClone(once))).toEqual(once);
    });
  }

  it('a non-default section of another type is still refused', () => {
    expect(() => normalizeSpec({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, resize: { growAt: 0.5 } })).toThrow(/spec\.resize applies to hash_resize only/);
    expect(() => normalizeSpec({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, arrayResize: { subArraySize: 2 } })).toThrow(/spec\.arrayResize/);
    expect(() => normalizeSpec({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } })).toThrow(/spec\.inner/);
    expect(() => normalizeSpec({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, memoryBudget: -Infinity })).toThrow(/spec\.memoryBudget/);
  });

  for (const type of ['hash', 'percpu_hash', 'array', 'percpu_array'] as const) {
    it(`${type}: attachMap(map.handle) and attachMap(structuredClone(map.handle)) give the same map`, () => {
      const m = createMap({ type, keySize: 4, valueSize: 8, maxEntries: 4, nCpus: 2 });
      const v = valueOf(1, m.spec.type.startsWith('percpu') ? 16 : 8);
      m.update(keyOf(1), v);
      try {
        expect(attachMap(m.handle).lookup(keyOf(1))).toEqual(v);
        expect(attachMap(structuredClone(m.handle)).lookup(keyOf(1))).toEqual(v);
      } finally {
        m.destroy();
      }
    });
  }
});
