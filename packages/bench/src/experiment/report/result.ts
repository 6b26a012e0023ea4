import type { MapSpec } from '@rightsize/engine';
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { machineInfoSchema } from '../../report/bench-result.js';
import type { MachineInfo } from '../../report/machine.js';
import { Int, IsoTimestamp, Nullable, Strict, check } from '../../report/validate.js';
import { COUNTERS, accountingHolds, type Counts } from '../accounting/tally.js';
import type { CountPoint, MapPoint, RunDynamics } from '../runner/run-strategy.js';
import type { StrategySummary } from '../runner/summary.js';
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

const count = Type.Number({ minimum: 0 });
const schemaOf = (keys: readonly string[], of: (k: string) => TSchema): TProperties => Object.fromEntries(keys.map((k) => [k, of(k)]));
const countsSchema = Strict(schemaOf(COUNTERS, () => Int({ minimum: 0 })));
const phaseCountsSchema = Strict({ phase: Type.String({ minLength: 1 }), ...schemaOf(COUNTERS, () => Int({ minimum: 0 })) });

const timeOrCount = (k: string): TSchema => (k === 'tMs' || k === 'tick' ? Type.Number() : count);
const mapPointSchema = Strict({
  ...schemaOf(['tMs', 'tick', 'entries', 'bytes', 'buckets', 'grows', 'shrinks', 'ebusy', 'evictions', 'overflowEntries', 'overflowBytes'], timeOrCount),
  resizeMs: Type.Optional(count),
  maxEntries: Type.Optional(count),
});
const countPointSchema = Strict(schemaOf(['tMs', 'tick', 'packets', 'accepted', 'refused', 'broken', 'flowsRefused', 'flowsBroken'], timeOrCount));

// Open (extra properties allowed): a strategy's summary has more figures than these, which are the ones checked.
const summarySchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  label: Type.String({ minLength: 1 }),
  refusedByErrno: Strict({ E2BIG: count, EBUSY: count, ENOMEM: count, overflowFull: count, other: count }),
  packetsPerSecPerCpu: Type.Array(count, { minItems: 1 }),
  accountingExact: Type.Boolean(),
});

const decisionSchema = Strict({
  seq: count,
  timeNs: count,
  reason: Type.String({ minLength: 1 }),
  from: count,
  to: count,
  entries: count,
  tMs: Type.Number(),
  tick: Type.Number(),
});
const anyRecord = Type.Record(Type.String(), Type.Any());
const dynamicsSchema = Nullable(
  Strict({
    controller: Type.String({ minLength: 1 }),
    decisions: Type.Array(decisionSchema),
    lost: count,
    decisionCounts: Type.Record(Type.String(), Type.Number()),
    resizeMs: count,
    bound: Nullable(anyRecord),
    walks: Nullable(Type.Array(anyRecord)),
    walkErrors: Type.Array(Type.String()),
  }),
);

const strategySchema = Strict({
  id: Type.String({ minLength: 1 }),
  label: Type.String({ minLength: 1 }),
  maps: Strict({ main: anyRecord, overflow: Nullable(anyRecord) }),
  summary: summarySchema,
  total: countsSchema,
  byPhase: Type.Array(phaseCountsSchema, { minItems: 1 }),
  cpus: Type.Array(
    Strict({
      cpu: Int({ minimum: 0 }),
      packets: count,
      elapsedNs: count,
      waitNs: count,
      packetsPerSec: count,
      digest: Int({ minimum: 0, maximum: 0xffffffff }),
      total: countsSchema,
      byPhase: Type.Array(countsSchema),
    }),
    { minItems: 1 },
  ),
  series: Strict({ map: Type.Array(mapPointSchema), counts: Type.Array(countPointSchema) }),
  finalStats: anyRecord,
  finalOverflowStats: Nullable(anyRecord),
  baseline: Strict({ grows: count, shrinks: count, ebusy: count }),
  gc: Nullable(Type.Record(Type.String(), count)),
  helperResults: Type.Record(Type.String(), Type.Record(Type.String(), count)),
  latency: Type.Record(Type.String(), Strict({ p50: count, p99: count })),
  elapsedNs: count,
  dynamics: Type.Optional(dynamicsSchema),
});

const phaseFiguresSchema = Strict({
  name: Type.String({ minLength: 1 }),
  startTick: count,
  endTick: count,
  newFlows: count,
  packets: count,
  peakOpen: count,
  peakMustHold: count,
  peakWithGcLag: count,
});

/** A result file of the experiment, as JSON Schema: published as schemas/experiment-result.schema.json. */
export const experimentReportSchema = Strict({
  schema: Type.Literal(EXPERIMENT_SCHEMA),
  createdAt: IsoTimestamp,
  command: Type.String(),
  machine: machineInfoSchema,
  cpus: Int({ minimum: 1 }),
  wallMs: count,
  scenario: anyRecord,
  workload: Strict({
    ticks: Int({ minimum: 1 }),
    packetsPerCpu: count,
    maxIntervalTicks: count,
    phases: Type.Array(phaseFiguresSchema, { minItems: 1 }),
    open: Type.Array(count),
    mustHold: Type.Array(count),
    mustHoldWithGcLag: Type.Array(count),
  }),
  strategies: Type.Array(strategySchema, { minItems: 1 }),
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
  const errors = check(experimentReportSchema, value);
  if (errors.length === 0) consistency(value as ExperimentReport, errors);
  return errors;
}

/** Throws a TypeError listing the problems unless `value` is a valid experiment result. */
export function assertExperimentReport(value: unknown): asserts value is ExperimentReport {
  const errors = validateExperimentReport(value);
  if (errors.length > 0) throw new TypeError(`not a valid ${EXPERIMENT_SCHEMA} result:\n  ${errors.slice(0, 20).join('\n  ')}${errors.length > 20 ? `\n  ... and ${errors.length - 20} more` : ''}`);
}
