import { describe, expect, it } from 'vitest';
// Examples run as built JS (their programs load in worker threads).
import { main } from '../dist/count-flows.js';

// The first example a newcomer runs: it must print each CPU's results and the
// final map contents, and count every packet.
describe('the count-flows example', () => {
  it('prints per-CPU results and the map contents, every packet counted', async () => {
    const lines: string[] = [];
    const { result, counts } = await main({ packetsPerCpu: 2000, flows: 12, log: (l) => lines.push(l) });
    const out = lines.join('\n');

    expect(lines[0]).toBe('2 CPUs, 2,000 packets each over 12 flows (ops: helper calls)');
    // The per-CPU table: a header, then one row per CPU with its packets.
    expect(out).toMatch(/cpu\s+packets\s+ops\s+ops\/s\s+atomicAdd results\s+update results/);
    expect(lines.filter((l) => /^\s+[01]\s+2,000\s/.test(l))).toHaveLength(2);
    // The map contents: the 10 biggest flows, then the rest counted.
    expect(out).toMatch(/flow\s+packets\s+bytes/);
    expect(lines.filter((l) => / -> 192\.168\.0\.1:443 tcp /.test(l))).toHaveLength(10);
    expect(out).toContain('... and 2 more flows');
    expect(lines.at(-1)).toBe('12 flows in the map; 4,000 packets counted of 4,000 sent');

    expect(result.error).toBeUndefined();
    expect(counts.size).toBe(12);
    expect([...counts.values()].reduce((a, [p]) => a + p, 0)).toBe(4000);
    // One NOEXIST insert per flow succeeded, whichever CPU saw the flow first.
    expect(result.total.results.update!.OK).toBe(12);
    expect(result.total.results.atomicAdd!.ENOENT).toBe((result.total.results.update!.OK ?? 0) + (result.total.results.update!.EEXIST ?? 0));
  }, 60_000);
});
