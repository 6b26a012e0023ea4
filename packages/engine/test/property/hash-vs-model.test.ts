import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createMap } from '../../src/maps/registry.js';
import { hex } from '../support/bytes.js';
import { HASH_MODES } from '../support/maps.js';
import { HashModel } from './kernel-model.js';
import { opsArb, runAgainstModel } from './ops.js';

const MAX_ENTRIES = 6;
const POOL = 12; // twice the bound, so that runs hit -E2BIG

/**
 * A pool of distinct keys: some drawn from {0, 1} bytes only (near-identical
 * keys that differ in one or two bytes), some from any bytes.
 */
function poolArb(keySize: number): fc.Arbitrary<Uint8Array[]> {
  const near = fc.uint8Array({ minLength: keySize, maxLength: keySize, min: 0, max: 1 });
  const any = fc.uint8Array({ minLength: keySize, maxLength: keySize });
  return fc.uniqueArray(fc.oneof(near, any), { minLength: POOL, maxLength: POOL, selector: hex });
}

describe.each(HASH_MODES)('HASH against a model Map ($mode)', ({ flags }) => {
  for (const [keySize, valueSize] of [
    [4, 4],
    [16, 56],
    [33, 7],
  ] as const) {
    it(`key ${keySize} B / value ${valueSize} B: random operations agree step by step`, () => {
      fc.assert(
        fc.property(poolArb(keySize), opsArb(POOL, valueSize), fc.boolean(), (pool, ops, zeroSeed) => {
          const map = createMap({ type: 'hash', keySize, valueSize, maxEntries: MAX_ENTRIES, flags: { ...flags, zeroSeed } });
          try {
            runAgainstModel(map, new HashModel(MAX_ENTRIES), pool, ops);
          } finally {
            map.destroy();
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
