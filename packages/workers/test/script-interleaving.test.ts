import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_NOEXIST, Errno, type BpfMap } from '@rightsize/engine';
import type { Machine } from '../dist/index.js';
import { program, useMachine } from './support/machine.js';

// A scenario script drives chosen CPUs step by step; each step runs to
// completion on its CPU before the next starts, so a script is one
// interleaving, the same every time it runs.
describe('scenario scripting', () => {
  const { machine, map } = useMachine(2);
  const v = (x: number) => new Uint8Array([x, 0, 0, 0]);

  /** CPUs 0 and 1 race for the last free element of a 2-entry HASH. */
  async function scenario(m: Machine, flows: BpfMap) {
    const s = await m.script({ maps: { flows }, cpus: [0, 1] });
    try {
      await s.on(1).update('flows', 1, v(1), BPF_NOEXIST);
      await s.on(0).update('flows', 2, v(2), BPF_NOEXIST);
      await s.on(1).update('flows', 3, v(3), BPF_NOEXIST);
      await s.on(0).delete('flows', 1);
      await s.on(1).update('flows', 3, v(3), BPF_NOEXIST);
      await s.on(0).update('flows', 3, v(4), BPF_ANY);
      await s.on(1).lookup('flows', 3);
      await s.on(0).lookupAndDelete('flows', 2);
      await s.on(1).call(program('script-fns'), 'insertRange', ['flows', 10, 3]);
      await s.on(0).call(program('script-fns'), 'whoami');
      return s.log.map(({ cpu, op, result }) => ({ cpu, op, result }));
    } finally {
      await s.close();
    }
  }

  it('a scripted interleaving runs the same way twice, with kernel results', async () => {
    const spec = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 2 } as const;
    const first = await scenario(machine(), map(spec));
    const second = await scenario(machine(), map(spec));
    expect(second).toEqual(first);
    expect(first).toEqual([
      { cpu: 1, op: 'update', result: 0 },
      { cpu: 0, op: 'update', result: 0 },
      { cpu: 1, op: 'update', result: -Errno.E2BIG },
      { cpu: 0, op: 'delete', result: 0 },
      { cpu: 1, op: 'update', result: 0 },
      { cpu: 0, op: 'update', result: 0 },
      { cpu: 1, op: 'lookup', result: { result: 0, value: v(4) } },
      { cpu: 0, op: 'lookupAndDelete', result: { result: 0, value: v(2) } },
      { cpu: 1, op: 'call', result: [0, -Errno.E2BIG, -Errno.E2BIG] },
      { cpu: 0, op: 'call', result: { cpu: 0, nCpus: 2 } },
    ]);
  }, 30_000);

  it('steps queue: un-awaited steps still run one after the other, in order', async () => {
    const flows = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
    const s = await machine().script({ maps: { flows }, cpus: [0, 1] });
    try {
      const steps = [s.on(0).update('flows', 7, v(1), BPF_NOEXIST), s.on(1).update('flows', 7, v(2), BPF_NOEXIST), s.on(0).lookup('flows', 7)];
      expect(await Promise.all(steps)).toEqual([0, -Errno.EEXIST, { result: 0, value: v(1) }]);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('a run cannot start while a script is open', async () => {
    const s = await machine().script({ cpus: [0] });
    try {
      await expect(machine().run(program('lookups'), { iterations: 1 })).rejects.toThrow(/script is open/);
    } finally {
      await s.close();
    }
  }, 30_000);
});
