import { describe, expect, it } from 'vitest';
import { main } from '../dist/full-map.js';

// The full-map example: the -E2BIG count is exactly the inserts past maxEntries.
describe('the full-map example', () => {
  it('reports exactly 2 x perCpu - maxEntries E2BIG, then only OK updates', async () => {
    const lines: string[] = [];
    const { inserts, updates } = await main({ perCpu: 300, maxEntries: 200, log: (l) => lines.push(l) });
    expect(inserts.total.results).toEqual({ update: { OK: 200, E2BIG: 400 } });
    expect(updates.total.results).toEqual({ update: { OK: 600 } });
    expect(lines).toContain('all CPUs: OK 200, E2BIG 400; entries in the map: 200 of 200');
    expect(lines).toContain('all CPUs: OK 600; entries in the map: 200 of 200');
  }, 60_000);
});
