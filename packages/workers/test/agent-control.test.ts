import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_NOEXIST, Errno } from '@rightsize/engine';
import { program, u32, useMachine } from './support/machine.js';

// The agent is userspace in its own thread, reached through comlink: it reads
// and writes the same shared maps the CPUs use, and runs sweep modules.
describe('the agent: userspace control of the maps', () => {
  const { machine, map } = useMachine(2);
  const val = (x: number) => new Uint8Array(new Uint32Array([x]).buffer);

  it('updates, looks up, dumps, deletes and reads stats of a map the main thread made', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8, flags: { zeroSeed: true } });
    const agent = await machine().agent();
    await agent.attach('m', m);
    expect(await agent.update('m', 1, val(10), BPF_ANY)).toBe(0);
    expect(await agent.update('m', 2, val(20), BPF_NOEXIST)).toBe(0);
    expect(await agent.update('m', 2, val(21), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(u32(m.lookup(new Uint8Array([2, 0, 0, 0]))!)).toBe(20);
    expect(u32((await agent.lookup('m', 1))!)).toBe(10);
    const dump = await agent.dump('m');
    expect(dump.map(([k, v]) => [u32(k), u32(v)]).sort((a, b) => a[0]! - b[0]!)).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect(await agent.delete('m', 1)).toBe(0);
    expect(await agent.delete('m', 1)).toBe(-Errno.ENOENT);
    expect(await agent.stats('m')).toMatchObject({ type: 'hash', entries: 1, maxEntries: 8 });
    expect(await agent.grow('m')).toBe(-Errno.EINVAL);
  });

  it('a sweep module removes what it decides to, on the run clock', async () => {
    const flows = map({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 256 });
    const r = await machine().run(program('stamp-flows'), { maps: { flows }, params: { keys: 50 }, iterations: 100 });
    expect(r.error).toBeUndefined();
    const agent = await machine().agent();
    await agent.attach('flows', flows);
    const stamps = (await agent.dump('flows')).map(([, v]) => u32(v, 4)).sort((a, b) => a - b);
    expect(stamps).toHaveLength(100);
    const cutoff = stamps[40]!;
    const expected = stamps.filter((s) => s < cutoff).length;
    expect(await agent.sweepOnce('flows', program('sweep-older'), { cutoffUs: cutoff })).toBe(expected);
    expect(flows.stats().entries).toBe(100 - expected);
    // The agent's clock is the run's: every stamp (µs) is in the past.
    expect(Math.floor((await agent.nowNs()) / 1000)).toBeGreaterThanOrEqual(stamps[99]!);
  });

  it('a call about a map it does not know fails clearly', async () => {
    const agent = await machine().agent();
    await expect(agent.stats('nope')).rejects.toThrow(/no map named "nope"/);
  });
});
