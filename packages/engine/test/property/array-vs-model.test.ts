import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createMap } from '../../src/maps/registry.js';
import { keyOf } from '../support/bytes.js';
import { ArrayModel } from './kernel-model.js';
import { opsArb, runAgainstModel } from './ops.js';

const MAX_ENTRIES = 6;

/** Indices inside the array, just past its end, and far past it. */
const POOL = [0, 1, 2, 3, 4, 5, 6, 7, 255, 256, 0x01000000, 0xffffffff].map((i) => keyOf(i));

describe('ARRAY against a model Map', () => {
  for (const valueSize of [4, 56, 7]) {
    it(`key 4 B / value ${valueSize} B: random operations agree step by step`, () => {
      fc.assert(
        fc.property(opsArb(POOL.length, valueSize), (ops) => {
          const map = createMap({ type: 'array', keySize: 4, valueSize, maxEntries: MAX_ENTRIES });
          try {
            runAgainstModel(map, new ArrayModel(MAX_ENTRIES, valueSize), POOL, ops);
          } finally {
            map.destroy();
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
