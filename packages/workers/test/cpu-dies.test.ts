import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// A CPU whose worker thread dies in the middle of a run (process.exit in a
// worker ends that thread) is reported with kind 'died'; the other CPU stops;
// the dead CPU's quiescence slot is marked dead; piscina replaces the worker
// and the next run uses every CPU again.
describe('a CPU worker that dies', () => {
  const { machine, map } = useMachine(2);

  it('ends the run with a clear report, and the machine stays usable', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('faulty'), { maps: { m }, params: { mode: 'exit', cpu: 1, at: 300 }, iterations: 1_000_000_000 });
    expect(r.error).toMatchObject({ cpu: 1, iteration: 300, kind: 'died', phase: 'run' });
    expect(r.error!.message).toMatch(/CPU 1's worker died: .*code: 3/);
    expect(r.cpus[1]!.iterations).toBe(300);
    expect(r.cpus[0]!.phase).toBe('done');
    expect(machine().domain.isDeadOwner(1 + 1)).toBe(true);

    const again = await machine().run(program('faulty'), { maps: { m }, params: { mode: 'none', cpu: 1 }, iterations: 1000 });
    expect(again.error).toBeUndefined();
    expect(again.cpus.map((c) => c.iterations)).toEqual([1000, 1000]);
    // The replacement worker went online as CPU 1 under a new generation (the
    // run above completed on it); the dead incarnation's owner id stays dead,
    // so a lock it left behind is still recognised and recovered.
    expect(machine().domain.slotSawDeath(1)).toBe(true);
    expect(machine().domain.isDeadOwner(1 + 1)).toBe(true);
  }, 30_000);
});
