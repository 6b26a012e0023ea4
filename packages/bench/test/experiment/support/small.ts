import { runExperiment, type ExperimentResult } from '../../../src/experiment/runner/experiment.js';
import { validateScenario, type Scenario } from '../../../src/experiment/scenario/scenario.js';
import type { StrategyId } from '../../../src/experiment/scenario/strategy-ids.js';

/**
 * The default scenario scaled down for tests: the same flow shapes, the
 * same phases and the same proportions (a burst of ten times the normal new
 * flows, the normal size 1.25x the normal peak, the worst case ten times the
 * normal size, the same phase lengths), a tenth of the rates and sizes. Worker
 * threads load the built programs: run `pnpm build` first.
 */
export function smallScenario(overrides: Record<string, unknown> = {}): Scenario {
  return validateScenario({
    name: 'small',
    description: 'The default scenario at a tenth of its rates and sizes.',
    kind: 'conntrack',
    seed: 20200827,
    flows: { packets: { min: 2, alpha: 1.5, max: 200 }, intervalTicks: { min: 1, max: 8 }, closeFraction: 0.85 },
    phases: [
      { name: 'normal', ticks: 400, newFlowsPerTick: 20 },
      { name: 'burst', ticks: 120, newFlowsPerTick: 200 },
      { name: 'after', ticks: 600, newFlowsPerTick: 20 },
    ],
    gc: { idleTimeoutTicks: 16, everyTicks: 8 },
    sizing: { normal: 500, worstCase: 5000, overflow: 256 },
    sampleEveryMs: 5,
    ...overrides,
  });
}

/** Runs the small scenario under `strategies` on 2 CPUs (no warm-up: these tests assert no speed). */
export function runSmall(strategies: StrategyId[], overrides: Record<string, unknown> = {}): Promise<ExperimentResult> {
  return runExperiment(smallScenario({ ...overrides, strategies }), { cpus: 2, warmupPackets: 0 });
}

/** A strategy's run and summary from a result. */
export function strategy(r: ExperimentResult, id: StrategyId) {
  const i = r.runs.findIndex((x) => x.plan.id === id);
  if (i < 0) throw new Error(`strategy ${id} was not run`);
  return { run: r.runs[i]!, summary: r.summaries[i]! };
}
