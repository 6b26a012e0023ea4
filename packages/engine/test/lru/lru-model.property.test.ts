import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMap, type BpfMap } from '../../src/index.js';
import { iteratedKeys, onCpu, readU32, u32 } from './helpers.js';
import { LruModel } from './lru-model.js';

// Random sequences of updates (every flag, from programs and userspace),
// lookups (programs set reference bits, userspace does not) and deletes, on
// small maps so that eviction happens all the time: every result, every
// value, the surviving keys and the eviction count must match the model.
type Cmd =
  | { op: 'update'; key: number; v: number; flags: number; cpu: number }
  | { op: 'lookup'; key: number; cpu: number }
  | { op: 'delete'; key: number; cpu: number }
  | { op: 'lookupAndDelete'; key: number };

const cpuArb = (nCpus: number) => fc.integer({ min: -1, max: nCpus - 1 });

// Each run draws its own key space and mix: few keys make replacing updates
// (which set the bit) common, many keys make evictions common; lookup-heavy
// runs make the reference bits decide.
function cmdArb(nCpus: number, keys: number, lookups: number): fc.Arbitrary<Cmd> {
  const key = fc.integer({ min: 0, max: keys - 1 });
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('update' as const), key, v: fc.nat(), flags: fc.constantFrom(0, 0, 1, 1, 2, 4, 3), cpu: cpuArb(nCpus) }) },
    { weight: lookups, arbitrary: fc.record({ op: fc.constant('lookup' as const), key, cpu: cpuArb(nCpus) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key, cpu: cpuArb(nCpus) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('lookupAndDelete' as const), key }) },
  );
}

/** The value a caller passes: one u32 from a program; from userspace on a per-CPU map, one per CPU slot. */
function valueFor(map: BpfMap, v: number, cpu: number): Uint8Array {
  const percpu = map.spec.type === 'lru_percpu_hash';
  if (!percpu || cpu >= 0) return u32(v);
  const out = new Uint8Array(map.spec.nCpus * 8);
  for (let c = 0; c < map.spec.nCpus; c++) out.set(u32(v + c), c * 8);
  return out;
}

function run(map: BpfMap, model: LruModel, cmds: Cmd[]): void {
  const at = (cpu: number, fn: () => void) => (cpu >= 0 ? onCpu(cpu, fn) : fn());
  for (const c of cmds) {
    if (c.op === 'update') {
      at(c.cpu, () => {
        const value = valueFor(map, c.v, c.cpu);
        expect(map.updateU32(c.key, value, c.flags)).toBe(model.update(c.key, value, c.flags, c.cpu));
      });
    } else if (c.op === 'lookup') {
      at(c.cpu, () => expect(map.lookup(u32(c.key))).toEqual(model.lookup(c.key, c.cpu)));
    } else if (c.op === 'delete') {
      at(c.cpu, () => expect(map.deleteU32(c.key)).toBe(model.delete(c.key)));
    } else {
      const want = model.lookup(c.key, -1);
      expect(map.lookupAndDelete(u32(c.key))).toEqual(want);
      if (want) model.delete(c.key);
    }
  }
  expect(iteratedKeys(map)).toEqual(model.keys());
  expect(map.stats()).toMatchObject({ entries: model.entries.size, evictions: model.evictions });
}

const shape = fc
  .record({
    nCpus: fc.integer({ min: 1, max: 3 }),
    maxEntries: fc.integer({ min: 1, max: 8 }),
    noCommonLru: fc.boolean(),
    keys: fc.integer({ min: 2, max: 24 }),
    lookups: fc.integer({ min: 1, max: 10 }),
  })
  .filter((s) => !s.noCommonLru || s.maxEntries >= s.nCpus);

describe('LRU maps against the model', () => {
  for (const type of ['lru_hash', 'lru_percpu_hash'] as const) {
    it(`${type}: random commands from programs and userspace`, () => {
      fc.assert(
        fc.property(
          shape.chain((s) => fc.tuple(fc.constant(s), fc.array(cmdArb(s.nCpus, s.keys, s.lookups), { maxLength: 100 }))),
          ([s, cmds]) => {
            const map = createMap({ type, keySize: 4, valueSize: 4, maxEntries: s.maxEntries, nCpus: s.nCpus, flags: { noCommonLru: s.noCommonLru } });
            const model = new LruModel(s.maxEntries, s.noCommonLru ? s.nCpus : 1, type === 'lru_percpu_hash', s.nCpus, 4);
            try {
              run(map, model, cmds);
            } finally {
              map.destroy();
            }
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  it('lru_hash: the model agrees on a long single sequence (readU32 sanity of the values)', () => {
    const map = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 5, nCpus: 2 });
    const model = new LruModel(5, 1, false, 2, 4);
    const cmds: Cmd[] = [];
    for (let i = 0; i < 400; i++) cmds.push({ op: 'update', key: (i * 7) % 13, v: i, flags: 0, cpu: i % 3 === 0 ? 0 : -1 }, { op: 'lookup', key: (i * 5) % 13, cpu: i % 2 });
    run(map, model, cmds);
    for (const k of model.keys()) expect(readU32(map.lookup(u32(k))!)).toBe(readU32(model.lookup(k, -1)!));
  });
});
