import { describe, expect, it } from 'vitest';
import { program, u32, useMachine } from './support/machine.js';

// While the CPUs update a map, the agent samples its stats() into a time
// series and dumps it. Counted sampling gives an exact number of points
// (not a guess from duration / interval); a run's own sampling always has a
// first point at the start and a last one at the end.
describe('the agent samples and dumps a map while CPUs update it', () => {
  const { machine, map } = useMachine(2);
  const KEYS = 500;

  it('a counted sampling during a run has exactly count points, in time order', async () => {
    const flows = map({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 * KEYS });
    const running = machine().run(program('stamp-flows'), { maps: { flows }, params: { keys: KEYS }, durationMs: 20_000 });
    const agent = await machine().agent();
    await agent.attach('flows', flows);
    // The CPUs are past their setup once the first entries appear (bounded wait).
    for (let i = 0; i < 1000 && flows.stats().entries === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(flows.stats().entries).toBeGreaterThan(0);
    await agent.startSampling(['flows'], 10, { count: 8 });
    const series = await agent.waitSampling(10_000);
    const dump = await agent.dump('flows');
    machine().stop();
    const r = await running;
    expect(r.error).toBeUndefined();

    expect(series).toHaveLength(8);
    for (let i = 1; i < series.length; i++) expect(series[i]!.t).toBeGreaterThan(series[i - 1]!.t);
    for (const p of series) {
      expect(p.map).toBe('flows');
      expect(p.stats.entries).toBeLessThanOrEqual(2 * KEYS);
    }
    // Every dumped entry is one a CPU wrote: the value names its own key.
    expect(dump.length).toBeGreaterThan(0);
    for (const [k, v] of dump) expect(u32(v)).toBe(u32(k));
    expect(await agent.stopSampling()).toHaveLength(8);
  }, 30_000);

  it('run() with an agent option samples for the run and sweeps, and returns both', async () => {
    const flows = map({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 * KEYS });
    const r = await machine().run(program('stamp-flows'), {
      maps: { flows },
      params: { keys: KEYS },
      durationMs: 300,
      agent: {
        sample: { maps: ['flows'], everyMs: 20 },
        // Entries last seen more than an hour ago: none, so the sweep runs and removes nothing.
        sweep: { map: 'flows', everyMs: 25, module: program('sweep-older'), params: { maxAgeUs: 3_600_000_000 } },
      },
    });
    expect(r.error).toBeUndefined();
    const series = r.series!;
    expect(series.length).toBeGreaterThanOrEqual(2);
    // The last point was taken after the CPUs ended: it is the final state.
    expect(series.at(-1)!.stats.entries).toBe(flows.stats().entries);
    expect(flows.stats().entries).toBe(2 * KEYS);
    expect(series[0]!.t).toBeLessThan(series.at(-1)!.t);
    expect(r.agent!.errors).toEqual([]);
    expect(r.agent!.swept).toBe(0);
    expect(r.agent!.sweeps).toBeGreaterThan(0);
  }, 30_000);
});
