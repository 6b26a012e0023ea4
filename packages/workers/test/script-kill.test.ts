import { describe, expect, it } from 'vitest';
import { BPF_ANY } from '@rightsize/engine';
import { program, useMachine } from './support/machine.js';

// kill(cpu) terminates a script CPU's worker at once, whatever it is doing:
// a step that never returns is rejected, the CPU's quiescence slot is marked
// dead, and the other CPUs of the script go on.
describe('killing a script CPU', () => {
  const { machine, map } = useMachine(2);

  it('ends a step that never returns and marks the slot dead', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
    const s = await machine().script({ maps: { m }, cpus: [0, 1] });
    try {
      const stuck = s.on(1).call(program('script-fns'), 'spin');
      const settled = stuck.then(
        () => 'resolved',
        (e: Error) => e.message,
      );
      // Give the spin step time to start, so that kill interrupts a running
      // step (a step still queued in the worker is rejected the same way).
      await new Promise((r) => setTimeout(r, 200));
      await s.kill(1);
      expect(await settled).toBe('CPU 1 was killed');
      expect(machine().domain.isDeadOwner(1 + 1)).toBe(true);
      await expect(s.on(1).grow('m')).rejects.toThrow(/CPU 1 was killed/);
      expect(await s.on(0).update('m', 1, new Uint8Array(4), BPF_ANY)).toBe(0);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('a step over its stepTimeoutMs fails and the CPU is stopped', async () => {
    const s = await machine().script({ cpus: [0], stepTimeoutMs: 300 });
    try {
      await expect(s.on(0).call(program('script-fns'), 'spin')).rejects.toThrow(/did not finish within 300 ms/);
      expect(machine().domain.isDeadOwner(0 + 1)).toBe(true);
    } finally {
      await s.close();
    }
  }, 30_000);
});
