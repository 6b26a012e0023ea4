import { describe, expect, it } from 'vitest';
import { loadScenario, shippedScenarios } from '../../src/experiment/scenario/load.js';
import { validateScenario } from '../../src/experiment/scenario/scenario.js';
import { smallScenario } from './support/small.js';

/** A valid scenario as plain JSON, to break one field at a time. */
function base(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(smallScenario())) as Record<string, unknown>;
}

// Scenario files are for users to copy and edit: a mistake must name the
// field, and the shipped ones must load.
describe('scenario files', () => {
  it('the shipped scenarios load and validate', () => {
    expect(shippedScenarios()).toEqual(expect.arrayContaining(['default', 'flood', 'slow-growth', 'sockmap', 'oscillating', 'tracing']));
    for (const name of shippedScenarios()) {
      const { scenario } = loadScenario(name);
      expect(scenario.name).toBe(name);
      expect(scenario.strategies.length).toBeGreaterThan(0);
    }
    // Every strategy, the adaptive controller included (issue 17).
    expect(loadScenario('default').scenario.strategies).toHaveLength(8);
    expect(loadScenario('tracing').scenario.bound).toMatchObject({ initial: 2048, raiseAt: 0.125, factor: 8 });
    expect(loadScenario('sockmap').scenario.walk).toEqual({ markers: 512, modes: ['stable', 'best-effort'] });
  });

  it('a bad field is refused with an error naming it', () => {
    const broken = (edit: (s: Record<string, unknown>) => void): unknown => {
      const s = base();
      edit(s);
      return s;
    };
    expect(() => validateScenario(broken((s) => ((s.phases as Record<string, unknown>[])[1]!.ticks = 0)))).toThrow(/scenario\.phases\[1\]\.ticks/);
    expect(() => validateScenario(broken((s) => ((s.phases as Record<string, unknown>[])[0]!.newFlowsPerTick = 'many')))).toThrow(TypeError);
    expect(() => validateScenario(broken((s) => (s.colour = 'blue')))).toThrow(/scenario\.colour: unknown property/);
    expect(() => validateScenario(broken((s) => ((s.sizing as Record<string, unknown>).worstCase = 10)))).toThrow(/scenario\.sizing\.worstCase/);
    expect(() => validateScenario(broken((s) => (s.strategies = ['hash-normal', 'hash-perfect'])))).toThrow(/scenario\.strategies\[1\]/);
    expect(() => validateScenario(broken((s) => (s.burstPhase = 'storm')))).toThrow(/scenario\.burstPhase/);
    expect(() => validateScenario(broken((s) => (s.bound = { initial: 10 ** 9, raiseAt: 0.5, factor: 2 })))).toThrow(/scenario\.bound\.initial/);
    expect(() => validateScenario(broken((s) => (s.bound = { initial: 10, raiseAt: 0.5, factor: 1 })))).toThrow(/scenario\.bound\.factor/);
    expect(() => validateScenario(broken((s) => (s.walk = { markers: 4, modes: ['sideways'] })))).toThrow(/scenario\.walk\.modes\[0\]/);
  });

  it('a collector timeout shorter than a flow interval is refused: it would expire live flows', () => {
    const s = base();
    s.gc = { idleTimeoutTicks: 4, everyTicks: 8 };
    expect(() => validateScenario(s)).toThrow(RangeError);
    expect(() => validateScenario(s)).toThrow(/idleTimeoutTicks \(4\).*longest flow interval \(8 ticks\)/);
  });

  it('a sockmap scenario takes no collector and needs every connection to close', () => {
    const s: Record<string, unknown> = { ...base(), kind: 'sockmap', strategies: undefined };
    expect(() => validateScenario(s)).toThrow(/closeFraction 1/);
    const closing = { ...s, flows: { ...(s.flows as object), closeFraction: 1 } };
    expect(() => validateScenario(closing)).toThrow(/scenario\.gc applies to conntrack/);
    const { gc: _gc, ...noGc } = closing as Record<string, unknown>;
    expect(validateScenario(noGc).strategies).not.toContain('lru-normal');
  });
});
