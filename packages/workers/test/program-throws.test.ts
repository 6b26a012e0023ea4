import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// A program that throws ends the run: the result names the CPU, the event and
// the error; the other CPUs stop after their current event; nothing hangs
// (the test's own timeout bounds it); the machine runs again afterwards.
describe('a program that throws', () => {
  const { machine, map } = useMachine(2);
  const BIG = 1_000_000_000;

  it('in an event: the run ends with the CPU, the iteration and the message; the others stop', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('faulty'), { maps: { m }, params: { mode: 'throw', cpu: 1, at: 500 }, iterations: BIG });
    expect(r.error).toMatchObject({ cpu: 1, iteration: 500, kind: 'threw', phase: 'run', message: 'event 500 failed on purpose' });
    expect(r.error!.stack).toContain('faulty.mjs');
    expect(r.cpus[1]!.iterations).toBe(500);
    // CPU 0 was asked for a billion events and stopped early, after its current one.
    expect(r.cpus[0]!.iterations).toBeLessThan(BIG);
    expect(r.cpus[0]!.phase).toBe('done');
  }, 30_000);

  it('in setup: the barrier is called off and no CPU runs an event', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('faulty'), { maps: { m }, params: { mode: 'setup', cpu: 0 }, iterations: BIG });
    expect(r.error).toMatchObject({ cpu: 0, iteration: -1, kind: 'threw', phase: 'setup', message: 'setup failed on purpose' });
    expect(r.total.iterations).toBe(0);
  }, 30_000);

  it('a module that is not a program is reported, not thrown', async () => {
    const r = await machine().run(program('sweep-older'), { iterations: 10 });
    expect(r.error).toMatchObject({ kind: 'threw', phase: 'load' });
    expect(r.error!.message).toContain('not a program');
  }, 30_000);

  it('the machine runs again after a failed run', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    await machine().run(program('faulty'), { maps: { m }, params: { mode: 'throw', cpu: 0, at: 10 }, iterations: BIG });
    const r = await machine().run(program('faulty'), { maps: { m }, params: { mode: 'none', cpu: 0 }, iterations: 1000 });
    expect(r.error).toBeUndefined();
    expect(r.cpus.map((c) => c.iterations)).toEqual([1000, 1000]);
  }, 30_000);
});
