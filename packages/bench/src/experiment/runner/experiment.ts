import { Machine } from '@rightsize/workers';
import { machineInfo, type MachineInfo } from '../../report/machine.js';
import { summarize, type StrategySummary } from './summary.js';
import type { Scenario } from '../scenario/scenario.js';
import type { StrategyId } from '../scenario/strategy-ids.js';
import { planStrategy, type StrategyPlan } from '../strategies/strategies.js';
import { generateWorkload, type Workload } from '../workload/generate.js';
import { runStrategy, warmUp, type RunProgress, type StrategyRun } from './run-strategy.js';

export interface ExperimentOptions {
  /** CPUs of the machine (default: every core). */
  cpus?: number;
  /** Packets per CPU of the untimed warm-up run before the strategies (default 30 000; 0 = none). */
  warmupPackets?: number;
  /** Called as the experiment goes (progress display). */
  onEvent?: (e: ExperimentEvent) => void;
}

export type ExperimentEvent =
  | { kind: 'workload'; workload: Workload; ms: number }
  | { kind: 'strategy-start'; id: StrategyId; label: string; index: number; of: number }
  | { kind: 'progress'; id: StrategyId; progress: RunProgress; ticks: number }
  | { kind: 'strategy-end'; id: StrategyId; summary: StrategySummary; run: StrategyRun };

export interface ExperimentResult {
  scenario: Scenario;
  machine: MachineInfo;
  /** CPUs the experiment ran on. */
  cpus: number;
  startedAt: Date;
  durationMs: number;
  workload: Workload;
  runs: StrategyRun[];
  summaries: StrategySummary[];
}

/**
 * The right-sizing experiment: generates the scenario's workload once, then
 * replays it under every strategy of the scenario, one after another on the
 * same machine of CPUs, and summarizes each.
 */
export async function runExperiment(scenario: Scenario, opts: ExperimentOptions = {}): Promise<ExperimentResult> {
  const started = Date.now();
  // Taken before the CPUs start: the load average then says how busy the machine was.
  const info = machineInfo();
  const machine = await Machine.start(opts.cpus === undefined ? {} : { cpus: opts.cpus });
  try {
    const t0 = performance.now();
    const workload = generateWorkload(scenario, machine.cpus);
    opts.onEvent?.({ kind: 'workload', workload, ms: performance.now() - t0 });
    const warm = opts.warmupPackets ?? 30_000;
    if (warm > 0) {
      // One warm-up per map type the strategies use (hash, lru_hash,
      // hash_resize): each type's code is then optimized before its first
      // strategy is timed, not only HASH's.
      const byType = new Map<string, StrategyPlan>([['hash', planStrategy(scenario, 'hash-worst', machine.cpus)]]);
      for (const id of scenario.strategies) {
        const plan = planStrategy(scenario, id, machine.cpus);
        if (!byType.has(plan.spec.type)) byType.set(plan.spec.type, plan);
      }
      for (const plan of byType.values()) await warmUp(machine, workload, plan, warm);
    }

    const runs: StrategyRun[] = [];
    const summaries: StrategySummary[] = [];
    for (const [index, id] of scenario.strategies.entries()) {
      const plan = planStrategy(scenario, id, machine.cpus);
      opts.onEvent?.({ kind: 'strategy-start', id, label: plan.label, index, of: scenario.strategies.length });
      const run = await runStrategy(machine, workload, plan, (progress) => opts.onEvent?.({ kind: 'progress', id, progress, ticks: workload.ticks }));
      if (run.error) throw new Error(`strategy ${id}: CPU ${run.error.cpu} ${run.error.kind} at packet ${run.error.iteration}: ${run.error.message}`);
      const summary = summarize(workload, run);
      runs.push(run);
      summaries.push(summary);
      opts.onEvent?.({ kind: 'strategy-end', id, summary, run });
    }
    return {
      scenario,
      machine: info,
      cpus: machine.cpus,
      startedAt: new Date(started),
      durationMs: Date.now() - started,
      workload,
      runs,
      summaries,
    };
  } finally {
    await machine.close();
  }
}
