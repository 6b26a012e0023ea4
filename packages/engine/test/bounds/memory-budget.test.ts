import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { createMap } from '../../src/maps/registry.js';
import { ArrayResizeMap } from '../../src/maps/array-resize/array-resize-map.js';
import { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { MAP_TYPES, normalizeSpec, setDefaultMemoryBudget, type MapSpec } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { useMaps } from '../support/maps.js';

// A configurable memory budget: a map whose memory at creation passes it is
// refused with a RangeError naming spec.memoryBudget (nothing allocated); a
// resizable map's growth stops at it with -ENOMEM; a default budget applies
// to specs that give none.

function specOf(type: (typeof MAP_TYPES)[number], memoryBudget?: number): MapSpec {
  const s: MapSpec = { type, keySize: 4, valueSize: type === 'array_of_maps' ? 4 : 64, maxEntries: 4096, nCpus: 2 };
  if (type === 'array_of_maps') s.inner = { type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 };
  if (memoryBudget !== undefined) s.memoryBudget = memoryBudget;
  return s;
}

describe('memory budgets', () => {
  const make = useMaps();
  afterEach(() => setDefaultMemoryBudget(Number.POSITIVE_INFINITY));

  for (const type of MAP_TYPES) {
    it(`${type}: creation past spec.memoryBudget is a RangeError naming the field`, () => {
      expect(() => createMap(specOf(type, 64))).toThrow(RangeError);
      expect(() => createMap(specOf(type, 64))).toThrow(/spec\.memoryBudget/);
      expect(make(specOf(type, 64 * 1024 * 1024)).stats().bytes).toBeLessThanOrEqual(64 * 1024 * 1024);
    });
  }

  it('hash_resize: grows until the next table would pass the budget, then grow() and the inserts that need room get -ENOMEM', () => {
    const spec: MapSpec = { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1 << 16, resize: { driver: 'inline' } };
    // Room for the map as created and about 16 KiB more: a few grows.
    const budget = HashResizeMap.bytesAtCreate(normalizeSpec(spec)) + 16 * 1024;
    const m = make({ ...spec, memoryBudget: budget });
    let k = 0;
    let rc = 0;
    for (; k < 1 << 16; k++) {
      rc = m.updateU32(k, new Uint8Array(8));
      expect(m.stats().bytes).toBeLessThanOrEqual(budget);
      if (rc !== 0) break;
    }
    expect(rc).toBe(-Errno.ENOMEM);
    expect(k).toBeGreaterThan(100);
    expect(m.grow()).toBe(-Errno.ENOMEM);
    expect(m.stats().entries).toBe(k);
    // Replacing an existing key needs no room.
    expect(m.updateU32(0, new Uint8Array(8).fill(1))).toBe(0);
    expect(verify(m).problems).toEqual([]);
  });

  it('hash_resize: an insert that needs an element chunk past the budget is -ENOMEM and changes nothing', () => {
    // A table big enough for every insert below (no grow needed), and room
    // for the map as created plus one element chunk and a half: the third
    // chunk would pass the budget.
    const spec: MapSpec = { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1 << 16, resize: { driver: 'inline', autoResize: false, initialBuckets: 1 << 14 } };
    const probe = make(spec) as HashResizeMap;
    const chunkBytes = probe.pool.chunkBytes;
    const perChunk = probe.pool.chunk;
    const budget = HashResizeMap.bytesAtCreate(normalizeSpec(spec)) + Math.floor(1.5 * chunkBytes);
    const m = make({ ...spec, memoryBudget: budget }) as HashResizeMap;
    let k = 0;
    let rc = 0;
    for (; k < 4 * perChunk; k++) {
      rc = m.updateU32(k, new Uint8Array(8).fill(k & 0xff));
      expect(m.stats().bytes).toBeLessThanOrEqual(budget);
      if (rc !== 0) break;
    }
    expect(rc).toBe(-Errno.ENOMEM);
    // One chunk fitted, the second did not.
    expect(k).toBe(perChunk);
    expect(m.stats().entries).toBe(k);
    expect(m.lookup(new Uint8Array([k & 0xff, (k >>> 8) & 0xff, 0, 0]))).toBeUndefined();
    // Replacing an existing key and deleting one need no room; the room a delete makes is used again.
    expect(m.updateU32(1, new Uint8Array(8).fill(7))).toBe(0);
    expect(m.deleteU32(2)).toBe(0);
    expect(m.updateU32(k, new Uint8Array(8))).toBe(0);
    expect(verify(m).problems).toEqual([]);
  });

  it('array_resize: grow() past the budget is -ENOMEM and adds nothing', () => {
    const spec: MapSpec = { type: 'array_resize', keySize: 4, valueSize: 8, maxEntries: 1 << 16, arrayResize: { subArraySize: 1024 } };
    // Room for the map as created and two and a half more sub-arrays (16 KiB each).
    const budget = ArrayResizeMap.bytesAtCreate(normalizeSpec(spec)) + 40 * 1024;
    const m = make({ ...spec, memoryBudget: budget });
    let grows = 0;
    while (m.grow() === 0) grows++;
    expect(grows).toBe(2);
    expect(m.grow()).toBe(-Errno.ENOMEM);
    expect(m.stats()).toMatchObject({ subArrays: 3 });
    expect(m.stats().bytes).toBeLessThanOrEqual(budget);
    expect(verify(m).problems).toEqual([]);
  });

  it('setDefaultMemoryBudget: applies to specs without a budget, not to specs with one; bad values are RangeErrors', () => {
    setDefaultMemoryBudget(64);
    expect(() => createMap(specOf('hash'))).toThrow(/spec\.memoryBudget/);
    expect(make(specOf('hash', 16 * 1024 * 1024)).spec.memoryBudget).toBe(16 * 1024 * 1024);
    expect(() => setDefaultMemoryBudget(-1)).toThrow(RangeError);
    expect(() => setDefaultMemoryBudget(1.5)).toThrow(TypeError);
    setDefaultMemoryBudget(Number.POSITIVE_INFINITY);
    expect(make(specOf('hash')).spec.memoryBudget).toBe(Number.POSITIVE_INFINITY);
  });
});
