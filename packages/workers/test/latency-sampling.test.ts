import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../dist/index.js';
import { program, useMachine } from './support/machine.js';

// One helper call in latencySampleEvery is timed (one countdown per CPU, over
// all helpers), so the number of samples follows from the number of calls.
describe('latency sampling', () => {
  const { machine, map } = useMachine(2);
  const spec = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4096 } as const;
  const sampled = (lat: Record<string, { count: number }>) => Object.values(lat).reduce((a, l) => a + l.count, 0);

  it('every = 1 times every call of every helper', async () => {
    const r = await machine().run(program('mixed-helpers'), { maps: { m: map(spec) }, iterations: 3000, latencySampleEvery: 1 });
    for (const c of r.cpus) {
      for (const [h, n] of Object.entries(c.ops)) {
        expect(c.latency[h]!.count).toBe(n);
        expect(c.latency[h]!.buckets).toHaveLength(LATENCY_BUCKETS);
        expect(c.latency[h]!.buckets.reduce((a, b) => a + b, 0)).toBe(n);
        expect(c.latency[h]!.p50).toBeLessThanOrEqual(c.latency[h]!.p99);
        expect(c.latency[h]!.p99).toBeLessThanOrEqual(c.latency[h]!.p999);
      }
    }
  });

  it('every = 64 times one call in 64, across helpers', async () => {
    const r = await machine().run(program('mixed-helpers'), { maps: { m: map(spec) }, iterations: 3000, latencySampleEvery: 64 });
    for (const c of r.cpus) {
      const calls = Object.values(c.ops).reduce((a, b) => a + b, 0);
      // 3000 events: lookup + update each, delete on every third: 7000 calls.
      expect(calls).toBe(7000);
      expect(sampled(c.latency)).toBe(Math.floor(calls / 64));
    }
  });

  it('every = 0 times nothing', async () => {
    const r = await machine().run(program('mixed-helpers'), { maps: { m: map(spec) }, iterations: 3000, latencySampleEvery: 0 });
    for (const c of r.cpus) expect(c.latency).toEqual({});
  });
});
