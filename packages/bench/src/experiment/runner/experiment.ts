import { Machine } from '@rightsize/workers';
import { machineInfo, type MachineInfo } from '../../report/machine.js';
import { summarize, type StrategySummary } from './summary.js';
import type { Scenario } from '../scenario/scenario.js';
import type { StrategyId } from '../scenario/strategy-ids.js';
import { planStrategy } from '../strategies/strategies.js';
import { generateWorkload, type Workload } from '../workload/generate.js';
import { runStrategy, warmUp, type RunProgress, type StrategyRun } from './run-strategy.js';

export interface ExperimentOptions {
  /** CPUs of the machine (default: every core). */
  cpus?: number;
  /** Packets per CPU of each strategy's untimed warm-up pass (default: the whole workload; 0 = no warm-up and no lead-in passes). */
  warmupPackets?: number;
  /** Called as the experiment goes (progress display). */
  onEvent?: (e: ExperimentEvent) => void;
}

export type ExperimentEvent =
  | { kind: 'workload'; workload: Workload; ms: number }
  | { kind: 'warmup'; strategies: number; packetsPerCpu: number }
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
 * Packets per CPU of the untimed lead-in pass a strategy makes right before
 * its timed run. Even after every strategy's warm-up pass, the hash_resize
 * strategy timed right after HASH's run had longer warm phases (medians of
 * 15-16 runs of `oscillating`: 37-41 ms against 31-32) and
 * adaptive/watermarks mean memory read 1.084 in the shipped order and 1.048
 * with the two swapped; a second of idle before each run narrowed it only.
 * With this lead-in (same strategy, fresh maps), 1.069 in both orders (8
 * runs each, interleaved). What HASH's run leaves behind was not pinned down
 * (a --trace-gc run showed two major collections in the whole experiment, neither there).
 */
const LEAD_IN_PACKETS = 30_000;

/**
 * The right-sizing experiment: generates the scenario's workload once, then
 * replays it under every strategy of the scenario, one after another on the
 * same machine of CPUs, and summarizes each.
 *
 * A strategy's figures must not depend on its place in the list. Before any
 * is timed, each strategy makes an untimed pass over the workload (the whole
 * of it by default), made as its timed run is (warmUp). The first timed run
 * of a map type used to meet code nothing had run before: the warm-up replayed
 * 30 000 packets per CPU without the agent, so the collector's lookupBatch and
 * delete and the sampler's stats() on that type ran cold in the agent thread
 * (the sweeps of the watermarks strategy, first of the hash_resize ones in
 * `oscillating`, took 17-29 ms of its warm phase against 5-11 ms for the
 * adaptive one after it), the CPUs waited for them (gcwait 150-230 ms against
 * 80-120), the warm phase, the run's lowest in memory, lasted 80-110 ms
 * instead of 42-55, and that strategy's time-weighted mean memory fell: main
 * measured adaptive/watermarks 1.10 in the shipped order, 1.00 with the two
 * swapped. A pass of each map type with the agent, of 30 000 packets or of
 * the whole workload, left part of it (1.08 against 1.03), and so did one per
 * strategy (1.08 against 1.05): the lead-in pass (LEAD_IN_PACKETS) removed
 * the rest.
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
    const warm = opts.warmupPackets ?? workload.packetsPerCpu;
    if (warm > 0) {
      opts.onEvent?.({ kind: 'warmup', strategies: scenario.strategies.length, packetsPerCpu: Math.min(warm, workload.packetsPerCpu) });
      for (const id of scenario.strategies) await warmUp(machine, workload, planStrategy(scenario, id, machine.cpus), warm);
    }

    const runs: StrategyRun[] = [];
    const summaries: StrategySummary[] = [];
    for (const [index, id] of scenario.strategies.entries()) {
      const plan = planStrategy(scenario, id, machine.cpus);
      if (warm > 0) await warmUp(machine, workload, plan, Math.min(warm, LEAD_IN_PACKETS));
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
