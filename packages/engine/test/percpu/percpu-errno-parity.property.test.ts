import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMap, type BpfMap, type MapType } from '../../src/index.js';
import { onCpu, u32 } from '../lru/helpers.js';

// A per-CPU map answers every operation with the errno its shared twin gives
// for the same sequence: per-CPU changes where values live, not semantics.
type Cmd =
  | { op: 'update'; key: number; flags: number; cpu: number }
  | { op: 'delete'; key: number; cpu: number }
  | { op: 'lookup'; key: number; cpu: number }
  | { op: 'lookupAndDelete'; key: number }
  | { op: 'nextKey'; key: number | null };

const nCpus = 2;
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constant('update' as const), key: fc.integer({ min: 0, max: 9 }), flags: fc.constantFrom(0, 1, 2, 4, 5, 3, 8), cpu: fc.integer({ min: -1, max: nCpus - 1 }) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }), cpu: fc.integer({ min: -1, max: nCpus - 1 }) }),
  fc.record({ op: fc.constant('lookup' as const), key: fc.integer({ min: 0, max: 9 }), cpu: fc.integer({ min: -1, max: nCpus - 1 }) }),
  fc.record({ op: fc.constant('lookupAndDelete' as const), key: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ op: fc.constant('nextKey' as const), key: fc.option(fc.integer({ min: 0, max: 9 })) }),
);

function apply(map: BpfMap, c: Cmd): unknown {
  const percpu = map.spec.type.includes('percpu');
  const at = (cpu: number, fn: () => number) => (cpu >= 0 ? onCpu(cpu, fn) : fn());
  const value = (cpu: number) => new Uint8Array(percpu && cpu < 0 ? nCpus * 8 : 4);
  switch (c.op) {
    case 'update':
      return at(c.cpu, () => map.updateU32(c.key, value(c.cpu), c.flags));
    case 'delete':
      return at(c.cpu, () => map.deleteU32(c.key));
    case 'lookup':
      return at(c.cpu, () => map.lookupU32Into(c.key, value(c.cpu)));
    case 'lookupAndDelete':
      return map.lookupAndDeleteInto(u32(c.key), value(-1));
    case 'nextKey': {
      const next = new Uint8Array(4);
      const r = map.getNextKey(c.key === null ? null : u32(c.key), next);
      return r === 0 ? [...next] : r;
    }
  }
}

const PAIRS: [MapType, MapType][] = [
  ['hash', 'percpu_hash'],
  ['array', 'percpu_array'],
  ['lru_hash', 'lru_percpu_hash'],
];

describe('per-CPU maps give their shared twins errnos', () => {
  for (const [shared, percpu] of PAIRS) {
    it(`${percpu} answers as ${shared}`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.array(cmd, { maxLength: 60 }), (maxEntries, cmds) => {
          // zeroSeed: both maps hash alike, so getNextKey walks them in the same order.
          const flags = shared === 'array' ? {} : { zeroSeed: true };
          const a = createMap({ type: shared, keySize: 4, valueSize: 4, maxEntries, nCpus, flags });
          const b = createMap({ type: percpu, keySize: 4, valueSize: 4, maxEntries, nCpus, flags });
          try {
            for (const c of cmds) expect(apply(b, c)).toEqual(apply(a, c));
            expect(b.stats().entries).toBe(a.stats().entries);
          } finally {
            a.destroy();
            b.destroy();
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});
