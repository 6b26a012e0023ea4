import type { MapSpec } from '@rightsize/engine';
import { machineInfoV } from '../../report/bench-result.js';
import type { MachineInfo } from '../../report/machine.js';
import { check, isAny, isArray, isBoolean, isLiteral, isNullable, isNumber, isObject, isRecord, isString, type Validator } from '../../report/validate.js';
import { accountingHolds, type StrategySummary } from '../accounting/summary.js';
import { COUNTERS, type Counts } from '../accounting/tally.js';
import type { CountPoint, MapPoint, RunDynamics } from '../runner/run-strategy.js';
import type { ExperimentResult } from '../runner/experiment.js';
import type { Scenario } from '../scenario/scenario.js';
import type { PhaseFigures } from '../workload/generate.js';

/** The version of the experiment's result file. A reader refuses any other. */
export const EXPERIMENT_SCHEMA = 'rightsize-experiment/1';

export interface StrategyReport {
  id: string;
  label: string;
  maps: { main: MapSpec; overflow: MapSpec | null };
  summary: StrategySummary;
  total: Counts;
  byPhase: (Counts & { phase: string })[];
  cpus: { cpu: number; packets: number; elapsedNs: number; waitNs: number; packetsPerSec: number; digest: number; total: Counts; byPhase: Counts[] }[];
  /** The agent's samples of the map(s) and this thread's samples of the outcome counts, on the tick axis. */
  series: { map: MapPoint[]; counts: CountPoint[] };
  finalStats: Record<string, unknown>;
  finalOverflowStats: Record<string, unknown> | null;
  /** The main map's counts before the run (readying hash_resize's resizer); the summary's figures are net of them. */
  baseline: { grows: number; shrinks: number; ebusy: number };
  /** hash_resize: the decision log, time resizing, the runtime bound, the agent's walks (absent in older files, null for other maps). */
  dynamics?: RunDynamics | null;
  gc: Record<string, number> | null;
  /** Helper calls by result (the workers package's count), summed over CPUs. */
  helperResults: Record<string, Record<string, number>>;
  /** Sampled helper latency in ns (the slowest CPU's p50 and p99). */
  latency: Record<string, { p50: number; p99: number }>;
  elapsedNs: number;
}

export interface ExperimentReport {
  schema: typeof EXPERIMENT_SCHEMA;
  createdAt: string;
  command: string;
  machine: MachineInfo;
  cpus: number;
  wallMs: number;
  scenario: Scenario;
  workload: {
    ticks: number;
    packetsPerCpu: number;
    maxIntervalTicks: number;
    phases: PhaseFigures[];
    /** Per tick, summed over CPUs: flows open, entries a map must hold with an ideal collector, and with the collector as late as its pace allows. */
    open: number[];
    mustHold: number[];
    mustHoldWithGcLag: number[];
  };
  strategies: StrategyReport[];
}

export function buildReport(r: ExperimentResult, command: string): ExperimentReport {
  const w = r.workload;
  return {
    schema: EXPERIMENT_SCHEMA,
    createdAt: r.startedAt.toISOString(),
    command,
    machine: r.machine,
    cpus: r.cpus,
    wallMs: r.durationMs,
    scenario: r.scenario,
    workload: {
      ticks: w.ticks,
      packetsPerCpu: w.packetsPerCpu,
      maxIntervalTicks: w.maxIntervalTicks,
      phases: w.figures,
      open: Array.from(w.open),
      mustHold: Array.from(w.mustHold),
      mustHoldWithGcLag: Array.from(w.mustHoldWithGcLag),
    },
    strategies: r.runs.map((run, i) => ({
      id: run.plan.id,
      label: run.plan.label,
      maps: { main: run.plan.spec, overflow: run.plan.overflowSpec },
      summary: r.summaries[i]!,
      total: run.total,
      byPhase: run.byPhase.map((c, p) => ({ phase: w.phases[p]!.name, ...c })),
      cpus: run.cpus,
      series: { map: run.mapSeries, counts: run.countSeries },
      finalStats: { ...run.finalStats },
      finalOverflowStats: run.finalOverflowStats ? { ...run.finalOverflowStats } : null,
      baseline: run.baseline,
      dynamics: run.dynamics,
      gc: run.gc ? { ...run.gc } : null,
      helperResults: run.helperResults,
      latency: run.latency,
      elapsedNs: run.elapsedNs,
    })),
  };
}

// ---- the schema ----

const count = isNumber({ min: 0 });
const countsV = isObject(Object.fromEntries(COUNTERS.map((n) => [n, isNumber({ min: 0, integer: true })])));
const phaseCountsV = isObject({ phase: isString({ nonEmpty: true }), ...Object.fromEntries(COUNTERS.map((n) => [n, isNumber({ min: 0, integer: true })])) });

const mapPointV = isObject(
  Object.fromEntries(['tMs', 'tick', 'entries', 'bytes', 'buckets', 'grows', 'shrinks', 'ebusy', 'evictions', 'overflowEntries', 'overflowBytes'].map((k) => [k, k === 'tMs' || k === 'tick' ? isNumber() : count])),
  { resizeMs: count, maxEntries: count },
);
const countPointV = isObject(Object.fromEntries(['tMs', 'tick', 'packets', 'accepted', 'refused', 'broken', 'flowsRefused', 'flowsBroken'].map((k) => [k, k === 'tMs' || k === 'tick' ? isNumber() : count])));

const summaryV = isObject(
  {
    id: isString({ nonEmpty: true }),
    label: isString({ nonEmpty: true }),
    refusedByErrno: isObject({ E2BIG: count, EBUSY: count, ENOMEM: count, overflowFull: count, other: count }),
    packetsPerSecPerCpu: isArray(count, { minLength: 1 }),
    accountingExact: isBoolean,
  },
  {},
  { extra: true },
);

const decisionV = isObject({
  seq: count,
  timeNs: count,
  reason: isString({ nonEmpty: true }),
  from: count,
  to: count,
  entries: count,
  tMs: isNumber(),
  tick: isNumber(),
});
const dynamicsV = isNullable(
  isObject({
    controller: isString({ nonEmpty: true }),
    decisions: isArray(decisionV),
    lost: count,
    decisionCounts: isRecord(isNumber()),
    resizeMs: count,
    bound: isNullable(isRecord(isAny)),
    walks: isNullable(isArray(isRecord(isAny))),
    walkErrors: isArray(isString()),
  }),
);

const strategyV = isObject({
  id: isString({ nonEmpty: true }),
  label: isString({ nonEmpty: true }),
  maps: isObject({ main: isRecord(isAny), overflow: isNullable(isRecord(isAny)) }),
  summary: summaryV,
  total: countsV,
  byPhase: isArray(phaseCountsV, { minLength: 1 }),
  cpus: isArray(
    isObject({ cpu: isNumber({ min: 0, integer: true }), packets: count, elapsedNs: count, waitNs: count, packetsPerSec: count, digest: isNumber({ min: 0, max: 0xffffffff, integer: true }), total: countsV, byPhase: isArray(countsV) }),
    { minLength: 1 },
  ),
  series: isObject({ map: isArray(mapPointV), counts: isArray(countPointV) }),
  finalStats: isRecord(isAny),
  finalOverflowStats: isNullable(isRecord(isAny)),
  baseline: isObject({ grows: count, shrinks: count, ebusy: count }),
  gc: isNullable(isRecord(count)),
  helperResults: isRecord(isRecord(count)),
  latency: isRecord(isObject({ p50: count, p99: count })),
  elapsedNs: count,
}, { dynamics: dynamicsV });

const phaseFiguresV = isObject({
  name: isString({ nonEmpty: true }),
  startTick: count,
  endTick: count,
  newFlows: count,
  packets: count,
  peakOpen: count,
  peakMustHold: count,
  peakWithGcLag: count,
});

const reportV: Validator = isObject({
  schema: isLiteral(EXPERIMENT_SCHEMA),
  createdAt: isString({ pattern: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ }),
  command: isString(),
  machine: machineInfoV,
  cpus: isNumber({ min: 1, integer: true }),
  wallMs: count,
  scenario: isRecord(isAny),
  workload: isObject({
    ticks: isNumber({ min: 1, integer: true }),
    packetsPerCpu: count,
    maxIntervalTicks: count,
    phases: isArray(phaseFiguresV, { minLength: 1 }),
    open: isArray(count),
    mustHold: isArray(count),
    mustHoldWithGcLag: isArray(count),
  }),
  strategies: isArray(strategyV, { minLength: 1 }),
});

/** Figures that must agree: the accounting identities, per CPU and in total, and the sums across CPUs and phases. */
function consistency(r: ExperimentReport, errors: string[]): void {
  r.strategies.forEach((s, i) => {
    const at = `$.strategies[${i}]`;
    if (!accountingHolds(s.total)) errors.push(`${at}.total: packets != accepted + refused + broken, or the flow counts do not add up`);
    s.cpus.forEach((c, j) => {
      if (!accountingHolds(c.total)) errors.push(`${at}.cpus[${j}].total: the accounting does not add up`);
      if (c.total.packets !== c.packets) errors.push(`${at}.cpus[${j}]: counted ${c.total.packets} packets, ran ${c.packets}`);
      if (c.packets !== r.workload.packetsPerCpu) errors.push(`${at}.cpus[${j}]: ran ${c.packets} packets, the workload has ${r.workload.packetsPerCpu} per CPU`);
    });
    for (const n of COUNTERS) {
      const sum = s.cpus.reduce((a, c) => a + c.total[n], 0);
      if (sum !== s.total[n]) errors.push(`${at}.total.${n}: ${s.total[n]}, but the CPUs add up to ${sum}`);
      const byPhase = s.byPhase.reduce((a, p) => a + p[n], 0);
      if (byPhase !== s.total[n]) errors.push(`${at}.byPhase: ${n} adds up to ${byPhase}, the total is ${s.total[n]}`);
    }
    if (s.summary.accountingExact !== true) errors.push(`${at}.summary.accountingExact: false`);
  });
}

export function validateExperimentReport(value: unknown): string[] {
  const errors = check(reportV, value);
  if (errors.length === 0) consistency(value as ExperimentReport, errors);
  return errors;
}

/** Throws a TypeError listing the problems unless `value` is a valid experiment result. */
export function assertExperimentReport(value: unknown): asserts value is ExperimentReport {
  const errors = validateExperimentReport(value);
  if (errors.length > 0) throw new TypeError(`not a valid ${EXPERIMENT_SCHEMA} result:\n  ${errors.slice(0, 20).join('\n  ')}${errors.length > 20 ? `\n  ... and ${errors.length - 20} more` : ''}`);
}
