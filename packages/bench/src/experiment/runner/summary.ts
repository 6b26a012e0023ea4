import type { Workload } from '../workload/generate.js';
import type { MapPoint, StrategyRun } from './run-strategy.js';
import { accountingHolds } from '../accounting/tally.js';
import type { WalkReport } from '@rightsize/workers';

/** One strategy's figures, as the table and the JSON report them. */
export interface StrategySummary {
  id: string;
  label: string;
  newFlows: number;
  flowsRefused: number;
  flowsBroken: number;
  /** Broken flows that had lost a refresh to -EBUSY before: the collector expired them as idle. */
  flowsBrokenStale: number;
  /** Flows refused and broken during the burst phase. */
  burstRefused: number;
  burstBroken: number;
  packets: number;
  accepted: number;
  refusedPackets: number;
  brokenPackets: number;
  refusedByErrno: { E2BIG: number; EBUSY: number; ENOMEM: number; overflowFull: number; other: number };
  refreshLost: number;
  closeLeaked: number;
  overflowAdmitted: number;
  /** Memory held (main map plus overflow), from the agent's stats() samples. */
  peakBytes: number;
  meanBytes: number;
  bytesAtBurstEnd: number;
  /** Mean over the samples after the burst phase (null when the burst is the last phase), and the last sample. */
  meanBytesAfterBurst: number | null;
  finalBytes: number;
  peakEntries: number;
  grows: number;
  shrinks: number;
  ebusy: number;
  evictions: number;
  gcExpired: number;
  /** Packets per second, per CPU (over the time spent processing, without waits for the collector). */
  packetsPerSecPerCpu: number[];
  /** Time each CPU waited for the collector to keep its pace, ms. */
  gcWaitMsPerCpu: number[];
  /** Whether packets = accepted + refused + broken held for every CPU and in total. */
  accountingExact: boolean;
  /** hash_resize (issue 17): time spent resizing over the run (ms); null for other maps. */
  timeResizingMs: number | null;
  /** Decisions logged over the run (resizes begun, bound changes); null for other maps. */
  decisionsLogged: number | null;
  /** The runtime bound (tracing): raises by the agent and the bound at the end; null without one. */
  boundRaises: number | null;
  finalBound: number | null;
  /** The agent's walks, by mode: walks made (completed), marker keys skipped and keys repeated over all of them; null without walks. */
  walks: Record<'stable' | 'best-effort', WalkFigures> | null;
}

export interface WalkFigures {
  walks: number;
  completed: number;
  /** Marker keys (present for the whole walk) a walk did not return, summed over the walks. */
  skipped: number;
  /** Walks with at least one marker skipped. */
  walksWithSkips: number;
  /** Keys returned more than once, summed over the walks. */
  repeated: number;
  /** Resizes finished while the walks ran, summed. */
  resizesDuring: number;
  meanMs: number;
}

function walkFigures(reports: WalkReport[], mode: 'stable' | 'best-effort'): WalkFigures {
  const r = reports.filter((x) => x.mode === mode);
  return {
    walks: r.length,
    completed: r.filter((x) => x.completed).length,
    skipped: r.reduce((a, x) => a + x.markersSkipped, 0),
    walksWithSkips: r.filter((x) => x.markersSkipped > 0).length,
    repeated: r.reduce((a, x) => a + x.repeated, 0),
    resizesDuring: r.reduce((a, x) => a + x.resizesDuring, 0),
    meanMs: r.length > 0 ? r.reduce((a, x) => a + x.ms, 0) / r.length : 0,
  };
}

/** Time-weighted mean of a sampled quantity (each sample holds until the next). */
export function timeWeightedMean(points: MapPoint[], of: (p: MapPoint) => number): number {
  if (points.length === 0) return 0;
  if (points.length === 1) return of(points[0]!);
  let area = 0;
  for (let i = 0; i + 1 < points.length; i++) area += of(points[i]!) * (points[i + 1]!.tMs - points[i]!.tMs);
  const span = points.at(-1)!.tMs - points[0]!.tMs;
  return span > 0 ? area / span : of(points.at(-1)!);
}

/** The last sample taken before the CPUs passed `tick` (the first sample if none was). */
export function sampleAtTick(points: MapPoint[], tick: number): MapPoint | undefined {
  let at = points[0];
  for (const p of points) {
    if (p.tick > tick) break;
    at = p;
  }
  return at;
}

export function summarize(w: Workload, run: StrategyRun): StrategySummary {
  const t = run.total;
  const burst = w.phases.findIndex((p) => p.name === w.scenario.burstPhase);
  const burstEnd = w.phases[burst]!.endTick;
  const b = run.byPhase[burst]!;
  const pts = run.mapSeries;
  const after = pts.filter((p) => p.tick >= burstEnd);
  const last = pts.at(-1);
  return {
    id: run.plan.id,
    label: run.plan.label,
    newFlows: t.newFlows,
    flowsRefused: t.flowsRefused,
    flowsBroken: t.flowsBroken,
    flowsBrokenStale: t.flowsBrokenStale,
    burstRefused: b.flowsRefused,
    burstBroken: b.flowsBroken,
    packets: t.packets,
    accepted: t.accepted,
    refusedPackets: t.refused,
    brokenPackets: t.broken,
    refusedByErrno: { E2BIG: t.refusedE2BIG, EBUSY: t.refusedEBUSY, ENOMEM: t.refusedENOMEM, overflowFull: t.refusedOverflowFull, other: t.refusedOther },
    refreshLost: t.refreshLost,
    closeLeaked: t.closeLeaked,
    overflowAdmitted: t.overflowAdmitted,
    peakBytes: Math.max(0, ...pts.map((p) => p.bytes)),
    meanBytes: timeWeightedMean(pts, (p) => p.bytes),
    bytesAtBurstEnd: sampleAtTick(pts, burstEnd)?.bytes ?? 0,
    meanBytesAfterBurst: burst < w.phases.length - 1 && after.length > 0 ? timeWeightedMean(after, (p) => p.bytes) : null,
    finalBytes: last?.bytes ?? 0,
    peakEntries: Math.max(0, ...pts.map((p) => p.entries + p.overflowEntries)),
    grows: stat(run.finalStats.grows) - run.baseline.grows,
    shrinks: stat(run.finalStats.shrinks) - run.baseline.shrinks,
    ebusy: stat(run.finalStats.ebusy) - run.baseline.ebusy,
    evictions: stat(run.finalStats.evictions) + stat(run.finalOverflowStats?.evictions),
    gcExpired: run.gc ? run.gc.expired + run.gc.expiredOverflow : 0,
    packetsPerSecPerCpu: run.cpus.map((c) => c.packetsPerSec),
    gcWaitMsPerCpu: run.cpus.map((c) => c.waitNs / 1e6),
    accountingExact: run.cpus.every((c) => accountingHolds(c.total) && c.total.packets === c.packets) && accountingHolds(t),
    timeResizingMs: run.dynamics ? run.dynamics.resizeMs : null,
    decisionsLogged: run.dynamics ? run.dynamics.decisions.length + run.dynamics.lost : null,
    boundRaises: run.dynamics?.bound ? run.dynamics.bound.raises : null,
    finalBound: run.dynamics?.bound ? run.dynamics.bound.final : null,
    walks: run.dynamics?.walks ? { stable: walkFigures(run.dynamics.walks, 'stable'), 'best-effort': walkFigures(run.dynamics.walks, 'best-effort') } : null,
  };
}

function stat(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
