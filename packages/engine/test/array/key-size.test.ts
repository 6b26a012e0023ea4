import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/maps/registry.js';

// The array key is a u32 index: the kernel refuses any other key size (-EINVAL
// at map creation); here that is a RangeError naming the field.
describe('ARRAY key size', () => {
  for (const type of ['array', 'percpu_array'] as const) {
    for (const keySize of [1, 2, 3, 5, 8, 16]) {
      it(`${type} with keySize ${keySize} throws a RangeError naming spec.keySize`, () => {
        expect(() => createMap({ type, keySize, valueSize: 4, maxEntries: 4 })).toThrow(RangeError);
        expect(() => createMap({ type, keySize, valueSize: 4, maxEntries: 4 })).toThrow(/spec\.keySize/);
      });
    }

    it(`${type} with keySize 4 is created`, () => {
      const m = createMap({ type, keySize: 4, valueSize: 4, maxEntries: 4 });
      expect(m.spec.keySize).toBe(4);
      m.destroy();
    });
  }

  it('an array refuses noPrealloc (the kernel does too)', () => {
    expect(() => createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 4, flags: { noPrealloc: true } })).toThrow(/spec\.flags\.noPrealloc/);
  });
});
