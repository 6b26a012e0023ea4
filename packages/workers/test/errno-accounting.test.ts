import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// A HASH holds maxEntries elements; an insert of a new key into a full map is
// -E2BIG (htab_map_update_elem). Two CPUs insert 1500 distinct keys each into
// a map of 1000: exactly 1000 inserts succeed and 2000 get -E2BIG, whichever
// CPU wins the race for the last free elements.
describe('errno accounting', () => {
  const { machine, map } = useMachine(2);
  const PER_CPU = 1500;
  const MAX = 1000;

  for (const [mode, flags] of [
    ['prealloc', {}],
    ['noPrealloc', { noPrealloc: true }],
  ] as const) {
    it(`a program inserting into a full ${mode} HASH reports exactly the -E2BIG it got`, async () => {
      const flows = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: MAX, flags });
      const r = await machine().run(program('insert-distinct'), { maps: { flows }, params: { perCpu: PER_CPU }, iterations: PER_CPU });
      expect(r.error).toBeUndefined();
      expect(r.total.results).toEqual({ updateU32: { OK: MAX, E2BIG: 2 * PER_CPU - MAX } });
      for (const c of r.cpus) expect((c.results.updateU32!.OK ?? 0) + (c.results.updateU32!.E2BIG ?? 0)).toBe(PER_CPU);
      expect(flows.stats().entries).toBe(MAX);
      expect([...flows.keys()].length).toBe(MAX);
    });
  }
});
