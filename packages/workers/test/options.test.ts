import { describe, expect, it } from 'vitest';
import { Machine } from '../dist/index.js';
import { program, useMachine } from './support/machine.js';

// Misuse throws a TypeError/RangeError naming the field, before any CPU starts.
describe('run and machine options', () => {
  const { machine, map } = useMachine(2);

  it('Machine.start refuses a bad CPU count', async () => {
    await expect(Machine.start({ cpus: 0 })).rejects.toThrow(RangeError);
    await expect(Machine.start({ cpus: 1.5 })).rejects.toThrow(/cpus must be an integer/);
  });

  it('a run needs iterations or durationMs, in range', async () => {
    const p = program('lookups');
    await expect(machine().run(p, {})).rejects.toThrow(/iterations .* or durationMs/);
    await expect(machine().run(p, { iterations: 0 })).rejects.toThrow(RangeError);
    await expect(machine().run(p, { durationMs: -1 })).rejects.toThrow(/durationMs/);
    await expect(machine().run(p, { iterations: 1, latencySampleEvery: 0.5 })).rejects.toThrow(/latencySampleEvery/);
    await expect(machine().run(p, { iterations: 1, warmupIterations: -1 })).rejects.toThrow(/warmupIterations/);
  });

  it('maps, params, program and agent options are checked', async () => {
    const p = program('lookups');
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
    await expect(machine().run(p, { iterations: 1, maps: { m: {} as never } })).rejects.toThrow(/maps\.m must be a map/);
    await expect(machine().run(p, { iterations: 1, params: { f: () => 1 } })).rejects.toThrow(/params must be structured-cloneable/);
    await expect(machine().run('programs/lookups.mjs', { iterations: 1 })).rejects.toThrow(/relative path/);
    await expect(machine().run(p, { iterations: 1, maps: { m }, agent: { sample: { maps: ['x'], everyMs: 10 } } })).rejects.toThrow(
      /agent\.sample\.maps: "x" is not one of the run's maps/,
    );
  });

  it('a handle works as well as the map', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
    const r = await machine().run(program('lookups'), { maps: { m: m.handle }, params: { keys: 4 }, iterations: 10 });
    expect(r.error).toBeUndefined();
    expect(r.total.results).toEqual({ lookupU32: { ENOENT: 20 } });
  });
});
