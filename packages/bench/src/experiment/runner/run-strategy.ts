import type { MapStats } from '@rightsize/engine';
import type { LatencySummary, Machine, RunError, RunResult } from '@rightsize/workers';
import { addCounts, createClock, createPace, createTally, liveTotals, readClock, readCounts, zeroCounts, type Counts } from '../accounting/tally.js';
import { createGcStats, readGcStats, type SweepParams } from '../gc/sweep.js';
import type { ExperimentParams } from '../programs/replay.js';
import { createStrategyMaps, destroyStrategyMaps, readyResizer, type StrategyPlan } from '../strategies/strategies.js';
import type { Workload } from '../workload/generate.js';
import { builtUrl } from './built-url.js';

/** The map's state at one agent sample, placed on the tick axis. */
export interface MapPoint {
  tMs: number;
  /** The CPUs' mean tick at that moment (interpolated from the runner's own samples). */
  tick: number;
  entries: number;
  bytes: number;
  buckets: number;
  /** hash_resize: resizes and EBUSY so far; lru_hash: evictions so far. */
  grows: number;
  shrinks: number;
  ebusy: number;
  evictions: number;
  /** The recovery strategy's overflow map (0 otherwise). */
  overflowEntries: number;
  overflowBytes: number;
}

/** The outcome counts at one moment of the run (cumulative). */
export interface CountPoint {
  tMs: number;
  tick: number;
  packets: number;
  accepted: number;
  refused: number;
  broken: number;
  flowsRefused: number;
  flowsBroken: number;
}

export interface CpuOutcome {
  cpu: number;
  packets: number;
  elapsedNs: number;
  /** Time this CPU waited for the collector to keep its pace (not counted in packetsPerSec). */
  waitNs: number;
  /** Packets over the time spent processing them (elapsed minus waits). */
  packetsPerSec: number;
  /** Order-sensitive digest of the keys this CPU processed. */
  digest: number;
  total: Counts;
  byPhase: Counts[];
}

export interface StrategyRun {
  plan: StrategyPlan;
  cpus: CpuOutcome[];
  total: Counts;
  byPhase: Counts[];
  mapSeries: MapPoint[];
  countSeries: CountPoint[];
  finalStats: MapStats;
  finalOverflowStats: MapStats | null;
  /** The main map's resize and EBUSY counts before the run (readying the resizer): the report subtracts them. */
  baseline: { grows: number; shrinks: number; ebusy: number };
  gc: ReturnType<typeof readGcStats> | null;
  /** Helper results by errno, summed over CPUs (the workers package's own count). */
  helperResults: Record<string, Record<string, number>>;
  /** Sampled helper latencies (ns), the worst CPU's p50/p99 per helper. */
  latency: Record<string, { p50: number; p99: number }>;
  elapsedNs: number;
  error: RunError | null;
}

export interface RunProgress {
  tick: number;
  totals: Counts;
}

const PROGRAMS = { conntrack: '../programs/conntrack.js', sockmap: '../programs/sockmap.js' } as const;

export function programUrl(kind: keyof typeof PROGRAMS): URL {
  return builtUrl(PROGRAMS[kind], import.meta.url);
}

function paramsFor(
  w: Workload,
  tally: SharedArrayBuffer,
  clock: SharedArrayBuffer,
  pace: ExperimentParams['pace'],
  overflow: ExperimentParams['overflow'],
  limit: number | null,
): ExperimentParams {
  // The warm-up replays a prefix only to optimize code: no time to keep.
  const align = limit === null;
  return { streams: w.streams, phaseEndTicks: w.phases.map((p) => p.endTick), tally, clock, align, pace, overflow, limit };
}

/**
 * Runs the program over the first `packets` packets of every CPU's stream on
 * a throwaway map, so that the strategies that follow all meet CPU workers
 * whose program code is already optimized (the first strategy would
 * otherwise pay the JIT's warm-up in its packets per second).
 */
export async function warmUp(machine: Machine, w: Workload, plan: StrategyPlan, packets: number): Promise<void> {
  const maps = createStrategyMaps(plan);
  try {
    const nPhases = w.phases.length;
    const overflow = maps.overflow ? { capacity: plan.overflowSpec!.maxEntries, counter: new SharedArrayBuffer(64) } : null;
    const r = await machine.run(programUrl(w.scenario.kind), {
      maps: { [plan.mapName]: maps.main, ...(maps.overflow ? { overflow: maps.overflow } : {}) },
      params: paramsFor(w, createTally(machine.cpus, nPhases), createClock(machine.cpus), null, overflow, packets),
      iterations: Math.min(packets, w.packetsPerCpu),
      latencySampleEvery: 0,
    });
    if (r.error) throw new Error(`warm-up run failed on CPU ${r.error.cpu}: ${r.error.message}`);
  } finally {
    destroyStrategyMaps(maps);
  }
}

/**
 * One strategy over the whole workload: creates its maps, replays every
 * CPU's stream on the machine with the agent sampling the maps and (for
 * conntrack) collecting idle entries, samples the outcome counts from this
 * thread meanwhile, and destroys the maps at the end.
 */
export async function runStrategy(machine: Machine, w: Workload, plan: StrategyPlan, onProgress?: (p: RunProgress) => void): Promise<StrategyRun> {
  const s = w.scenario;
  const nCpus = machine.cpus;
  if (w.nCpus !== nCpus) throw new RangeError(`the workload was generated for ${w.nCpus} CPUs, the machine has ${nCpus}`);
  const nPhases = w.phases.length;
  const tally = createTally(nCpus, nPhases);
  const clock = createClock(nCpus);
  const maps = createStrategyMaps(plan);
  try {
    const before = await readyResizer(maps.main);
    const baseline = { grows: num(before.grows), shrinks: num(before.shrinks), ebusy: num(before.ebusy) };
    const overflowCounter = new SharedArrayBuffer(64);
    const overflow = maps.overflow ? { capacity: plan.overflowSpec!.maxEntries, counter: overflowCounter } : null;
    const gcStats = createGcStats();
    const sampled = [plan.mapName, ...(maps.overflow ? ['overflow'] : [])];
    const pace = s.gc ? { sab: createPace(nCpus), everyTicks: s.gc.everyTicks } : null;
    const sweep: SweepParams | null =
      s.gc && pace
        ? {
            clock,
            nCpus,
            idleTimeoutTicks: s.gc.idleTimeoutTicks,
            pace: pace.sab,
            everyTicks: pace.everyTicks,
            overflow: maps.overflow ? { handle: maps.overflow.handle, counter: overflowCounter } : null,
            stats: gcStats,
          }
        : null;

    const countSeries: CountPoint[] = [];
    const sampleCounts = (): void => {
      const ticks = readClock(clock, nCpus);
      const tick = ticks.reduce((a, b) => a + b, 0) / nCpus;
      const t = liveTotals(tally, nCpus, nPhases);
      countSeries.push({
        tMs: machine.nowNs() / 1e6,
        tick,
        packets: t.packets,
        accepted: t.accepted,
        refused: t.refused,
        broken: t.broken,
        flowsRefused: t.flowsRefused,
        flowsBroken: t.flowsBroken,
      });
      onProgress?.({ tick, totals: t });
    };

    const running = machine.run(programUrl(s.kind), {
      maps: { [plan.mapName]: maps.main, ...(maps.overflow ? { overflow: maps.overflow } : {}) },
      params: paramsFor(w, tally, clock, pace, overflow, null),
      iterations: w.packetsPerCpu,
      agent: {
        sample: { maps: sampled, everyMs: s.sampleEveryMs },
        // The collector keeps workload time (see the sweep module): the agent
        // only polls it, every millisecond.
        ...(sweep ? { sweep: { map: plan.mapName, everyMs: 1, module: builtUrl('../gc/sweep.js', import.meta.url), params: sweep } } : {}),
      },
    });
    sampleCounts();
    const timer = setInterval(sampleCounts, s.sampleEveryMs);
    let r: RunResult;
    try {
      r = await running;
    } finally {
      clearInterval(timer);
    }
    sampleCounts();

    const cpus = r.cpus.map((c) => cpuOutcome(c.cpu, c.teardown, c.iterations, c.elapsedNs, nPhases));
    const byPhase = Array.from({ length: nPhases }, (_, p) => cpus.reduce((a, c) => addCounts(a, c.byPhase[p]!), zeroCounts()));
    const total = cpus.reduce((a, c) => addCounts(a, c.total), zeroCounts());
    const latency: StrategyRun['latency'] = {};
    for (const c of r.cpus) {
      for (const [h, l] of Object.entries(c.latency) as [string, LatencySummary][]) {
        const prev = latency[h];
        latency[h] = { p50: Math.max(prev?.p50 ?? 0, l.p50), p99: Math.max(prev?.p99 ?? 0, l.p99) };
      }
    }
    return {
      plan,
      cpus,
      total,
      byPhase,
      mapSeries: mapSeries(r.series ?? [], plan.mapName, countSeries, baseline),
      countSeries,
      finalStats: maps.main.stats(),
      finalOverflowStats: maps.overflow ? maps.overflow.stats() : null,
      baseline,
      gc: s.gc ? readGcStats(gcStats) : null,
      helperResults: r.total.results,
      latency,
      elapsedNs: r.elapsedNs,
      error: r.error ?? null,
    };
  } finally {
    destroyStrategyMaps(maps);
  }
}

/** A CPU's exact counts, from the copy of its tally region its teardown returned. */
function cpuOutcome(cpu: number, teardown: unknown, iterations: number, elapsedNs: number, nPhases: number): CpuOutcome {
  const t = teardown as { digest: number; region: number[]; waitMs: number } | undefined;
  const region = Float64Array.from(t?.region ?? []);
  const byPhase = Array.from({ length: nPhases }, (_, p) => (t ? readCounts(region, p) : zeroCounts()));
  const waitNs = Math.min(elapsedNs, Math.round((t?.waitMs ?? 0) * 1e6));
  const busyNs = elapsedNs - waitNs;
  return {
    cpu,
    packets: iterations,
    elapsedNs,
    waitNs,
    packetsPerSec: busyNs > 0 ? (iterations * 1e9) / busyNs : 0,
    digest: t?.digest ?? 0,
    total: byPhase.reduce((a, c) => addCounts(a, c), zeroCounts()),
    byPhase,
  };
}

/** Places each agent sample on the tick axis, by interpolating the runner's (time, tick) samples. */
function mapSeries(series: NonNullable<RunResult['series']>, mainName: string, counts: CountPoint[], base: StrategyRun['baseline']): MapPoint[] {
  const tickAt = (tMs: number): number => {
    if (counts.length === 0) return 0;
    if (tMs <= counts[0]!.tMs) return counts[0]!.tick;
    for (let i = 1; i < counts.length; i++) {
      const b = counts[i]!;
      if (tMs <= b.tMs) {
        const a = counts[i - 1]!;
        return b.tMs === a.tMs ? b.tick : a.tick + ((b.tick - a.tick) * (tMs - a.tMs)) / (b.tMs - a.tMs);
      }
    }
    return counts.at(-1)!.tick;
  };
  const byTime = new Map<number, MapPoint>();
  for (const p of series) {
    const tMs = p.t / 1e6;
    let pt = byTime.get(p.t);
    if (!pt) {
      pt = { tMs, tick: tickAt(tMs), entries: 0, bytes: 0, buckets: 0, grows: 0, shrinks: 0, ebusy: 0, evictions: 0, overflowEntries: 0, overflowBytes: 0 };
      byTime.set(p.t, pt);
    }
    const st = p.stats;
    if (p.map === mainName) {
      pt.entries = st.entries;
      pt.buckets = st.buckets;
      pt.grows = num(st.grows) - base.grows;
      pt.shrinks = num(st.shrinks) - base.shrinks;
      pt.ebusy = num(st.ebusy) - base.ebusy;
      pt.evictions = num(st.evictions);
      pt.bytes += st.bytes;
    } else {
      pt.overflowEntries = st.entries;
      pt.overflowBytes = st.bytes;
      pt.bytes += st.bytes;
    }
  }
  return [...byTime.values()].sort((a, b) => a.tMs - b.tMs);
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

