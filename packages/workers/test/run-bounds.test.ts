import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// Every wait of a run is bounded: a CPU stuck in an event is killed once the
// run is stopped and its grace ran out; a CPU too slow in setup makes the
// others give up at the barrier. Both end with a report naming the CPU.
describe('run bounds', () => {
  const { machine, map } = useMachine(2);

  it('a CPU stuck in an event is killed after timeoutMs + stopGraceMs and reported', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    // timeoutMs leaves the CPUs ample time to start (workers start slowly on a
    // busy machine); whenever it ends, CPU 1 is the one that cannot stop.
    const r = await machine().run(program('faulty'), {
      maps: { m },
      params: { mode: 'spin', cpu: 1, at: 20 },
      durationMs: 100,
      timeoutMs: 3000,
      stopGraceMs: 300,
    });
    expect(r.error).toMatchObject({ cpu: 1, kind: 'timeout', phase: 'run', iteration: 20 });
    expect(r.error!.message).toContain('still in run 300 ms after the run was stopped');
    expect(r.cpus[0]!.phase).toBe('done');
    expect(r.cpus[1]!.phase).toBe('run');
    const again = await machine().run(program('faulty'), { maps: { m }, params: { mode: 'none', cpu: 1 }, iterations: 100 });
    expect(again.error).toBeUndefined();
    expect(again.cpus.map((c) => c.iterations)).toEqual([100, 100]);
  }, 30_000);

  it('a CPU slower than setupTimeoutMs calls the run off at the barrier', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('faulty'), {
      maps: { m },
      params: { mode: 'slow-setup', cpu: 0, ms: 1500 },
      iterations: 1000,
      setupTimeoutMs: 300,
    });
    expect(r.error).toMatchObject({ cpu: 0, kind: 'timeout', phase: 'setup' });
    expect(r.error!.message).toContain('setupTimeoutMs');
    expect(r.total.iterations).toBe(0);
  }, 30_000);

  it('timeoutMs stops a run that would go on for a long time, and says so', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('faulty'), { maps: { m }, params: { mode: 'none', cpu: 0 }, durationMs: 60_000, timeoutMs: 1500 });
    expect(r.error).toMatchObject({ kind: 'timeout' });
    expect(r.error!.message).toContain('did not end within timeoutMs (1500 ms)');
    for (const c of r.cpus) expect(c.phase).toBe('done');
  }, 30_000);

  it('machine.stop() ends a run that would go on for a long time', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const running = machine().run(program('faulty'), { maps: { m }, params: { mode: 'none', cpu: 0 }, durationMs: 60_000 });
    setTimeout(() => machine().stop(), 200);
    const r = await running;
    expect(r.error).toBeUndefined();
    for (const c of r.cpus) expect(c.iterations).toBeGreaterThan(0);
    expect(r.elapsedNs).toBeLessThan(60_000e6);
  }, 30_000);
});
