import { describe, it } from 'vitest';
import { setLockChecks } from '../../src/maps/chained/table.js';
import type { MapBase } from '../../src/maps/base.js';
import { expectRepairContract } from '../support/lock-contracts.js';
import { useMaps } from '../support/maps.js';

// ARRAY's one `...Locked` method is its repair (a slot lock is taken and
// released in the same method, never held across calls). With lock checks
// on, it asserts that the caller holds the map's repair lock.

setLockChecks(true);

describe('lock contracts of ARRAY and PERCPU_ARRAY (checks on)', () => {
  const make = useMaps();

  it.each(['array', 'percpu_array'] as const)('%s: the repair needs the repair lock', (type) => {
    expectRepairContract(make({ type, keySize: 4, valueSize: 8, maxEntries: 16, nCpus: 2 }) as MapBase);
  });
});
