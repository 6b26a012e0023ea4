import { describe, expect, it } from 'vitest';
import { generateWorkload, type Workload } from '../../src/experiment/workload/generate.js';
import { streamViews } from '../../src/experiment/workload/stream.js';
import { smallScenario } from './support/small.js';

/** Everything a CPU replays, as plain arrays: its packets in order, its tick boundaries, its flows' tuples. */
function replayed(w: Workload) {
  return w.streams.map((b) => {
    const s = streamViews(b);
    return {
      packets: Array.from(s.packets),
      tickStart: Array.from(s.tickStart),
      dst: Array.from(s.flowDst),
      dport: Array.from(s.flowDport),
      proto: Array.from(s.flowProto),
    };
  });
}

// The workload is the experiment's input: two runs with the same seed must
// replay the same flows in the same order on every CPU, whatever the machine.
describe('the workload generator', () => {
  it('gives identical streams per CPU for identical seeds, and different ones for another seed', () => {
    const a = generateWorkload(smallScenario(), 2);
    const b = generateWorkload(smallScenario(), 2);
    const c = generateWorkload(smallScenario({ seed: 20200828 }), 2);

    expect(a.packetsPerCpu).toBeGreaterThan(10_000);
    expect(replayed(b)).toEqual(replayed(a));
    expect(Array.from(b.mustHold)).toEqual(Array.from(a.mustHold));

    const ra = replayed(a);
    const rc = replayed(c);
    expect(rc[0]!.packets).not.toEqual(ra[0]!.packets);
    // The CPUs draw from streams of their own: CPU 1 does not replay CPU 0's flows.
    expect(ra[1]!.packets).not.toEqual(ra[0]!.packets);
  });
});
