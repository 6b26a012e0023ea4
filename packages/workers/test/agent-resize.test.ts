import { describe, expect, it } from 'vitest';
import { Errno, type HashResizeMap } from '@rightsize/engine';
import { useMachine } from './support/machine.js';

// The agent steers a hash_resize map while it lives: its bound, hints, the
// resize decisions it reads back, and walks that run beside the CPUs.
describe('the agent and hash_resize resize dynamics', () => {
  const { machine, map } = useMachine(2);
  const key = (k: number) => new Uint8Array(new Uint32Array([k]).buffer);

  it('sets the bound, hints, reads the decision log, walks and keeps a bound', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 100, resize: { controller: 'adaptive', driver: 'inline', maxEntriesCeiling: 4096 } }) as HashResizeMap;
    const agent = await machine().agent();
    await agent.attach('m', m);
    const v = new Uint8Array(4);
    for (let k = 0; k < 100; k++) expect(m.update(key(k), v)).toBe(0);
    expect(m.update(key(100), v)).toBe(-Errno.E2BIG);
    expect(await agent.setMaxEntries('m', 99)).toBe(-Errno.EINVAL);
    expect(await agent.setMaxEntries('m', 1000)).toBe(0);
    expect(m.update(key(100), v)).toBe(0);
    // Past the maxEntriesCeiling the map was created with (a pre-sizing hint, no limit), and back.
    expect(await agent.setMaxEntries('m', 5000)).toBe(0);
    expect(await agent.setMaxEntries('m', 1000)).toBe(0);
    await expect(agent.setMaxEntries('m', 2 ** 31)).rejects.toThrow(/hard limit/);
    // A hint of 900 entries: the adaptive controller grows to fit them at once.
    await agent.resizeHint('m', 900);
    expect(m.stats().buckets).toBeGreaterThanOrEqual(1024);
    const log = await agent.decisionLog('m');
    expect(log.records.map((r) => r.reason)).toContain('hint');
    expect(log.records.filter((r) => r.reason === 'max-entries').map((r) => [r.from, r.to])).toEqual([
      [100, 1000],
      [1000, 5000],
      [5000, 1000],
    ]);
    expect(log.records.every((r) => r.timeNs > 0)).toBe(true);
    // Walks: both modes return every marker on a quiet map, each key once.
    for (const mode of ['stable', 'best-effort'] as const) {
      await agent.startWalks('m', { modes: [mode], markers: [key(1), key(2), key(50)] });
      const deadline = Date.now() + 10_000;
      let reports: Awaited<ReturnType<typeof agent.stopWalks>>;
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        reports = await agent.stopWalks();
        if (reports.reports.length > 0 || Date.now() > deadline) break;
        await agent.startWalks('m', { modes: [mode], markers: [key(1), key(2), key(50)] });
      }
      expect(reports.errors).toEqual([]);
      expect(reports.reports[0]).toMatchObject({ mode, markersSkipped: 0, distinct: 101, repeated: 0, completed: true });
    }
    // The keeper raises the bound once the entries pass half of it.
    await agent.startBoundKeeper('m', 1, 0.5, 2);
    for (let k = 101; k < 600; k++) m.update(key(k), v);
    const deadline = Date.now() + 10_000;
    while (m.stats().maxEntries < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const kept = await agent.stopBoundKeeper();
    expect(kept.raises).toBeGreaterThanOrEqual(1);
    expect(m.stats().maxEntries).toBe(2000);
    // Another map type: a clear error.
    const h = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 });
    await agent.attach('h', h);
    await expect(agent.setMaxEntries('h', 10)).rejects.toThrow(/hash_resize/);
  });
});
