import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiment/runner/experiment.js';
import { validateScenario } from '../../src/experiment/scenario/scenario.js';

// The sockhash case: sockets are added after their handshake and removed
// when they close. A fixed map sized for the normal load is full during the
// burst, so new connections fall back to the slow path for their life; the
// resizable map grows and takes them all.
describe('the socket map scenario', () => {
  it('a fixed map sends burst connections to the slow path, the resizable one takes them', async () => {
    const scenario = validateScenario({
      name: 'sockmap-small',
      description: 'The shipped sockmap scenario at a tenth of its rates and sizes.',
      kind: 'sockmap',
      seed: 1234,
      flows: { packets: { min: 2, alpha: 1.5, max: 200 }, intervalTicks: { min: 1, max: 8 }, closeFraction: 1 },
      phases: [
        { name: 'normal', ticks: 400, newFlowsPerTick: 15 },
        { name: 'burst', ticks: 120, newFlowsPerTick: 150 },
        { name: 'after', ticks: 600, newFlowsPerTick: 15 },
      ],
      sizing: { normal: 350, worstCase: 3500 },
      sampleEveryMs: 5,
      strategies: ['hash-normal', 'resize-help'],
    });
    const r = await runExperiment(scenario, { cpus: 2, warmupPackets: 0 });
    const burst = r.workload.phases.findIndex((p) => p.name === 'burst');
    const [fixed, resizable] = r.summaries;
    expect(r.runs.map((x) => x.error)).toEqual([null, null]);
    expect(r.runs[0]!.byPhase[burst]!.flowsRefused).toBeGreaterThan(0);
    expect(fixed!.refusedByErrno.E2BIG).toBe(fixed!.flowsRefused);
    // Every packet of a connection that fell back takes the slow path, never the fast one.
    expect(fixed!.refusedPackets).toBeGreaterThan(fixed!.flowsRefused);
    expect(fixed!.flowsBroken).toBe(0);
    expect(resizable!.flowsRefused).toBe(0);
    expect(resizable!.flowsBroken).toBe(0);
    expect(resizable!.closeLeaked).toBe(0);
    expect(resizable!.accepted).toBe(resizable!.packets);
    // Every socket is removed when it closes: what is left at the end is the connections still open.
    expect(r.runs[1]!.finalStats.entries).toBe(r.workload.open[r.workload.ticks - 1]);
  }, 180_000);
});
