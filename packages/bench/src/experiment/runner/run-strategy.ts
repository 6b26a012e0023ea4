import { builtModuleUrl, HashMap, HashResizeMap, normalizeSpec, type DecisionRecord, type MapStats } from '@rightsize/engine';
import type { LatencySummary, Machine, RunError, RunResult, WalkReport } from '@rightsize/workers';
import { addCounts, createClock, createPace, createTally, liveTotals, readClock, readCounts, zeroCounts, type Counts } from '../accounting/tally.js';
import { createGcStats, readGcStats, type SweepParams } from '../gc/sweep.js';
import type { ExperimentParams } from '../programs/replay.js';
import { createStrategyMaps, destroyStrategyMaps, readyResizer, type StrategyPlan } from '../strategies/strategies.js';
import type { Workload } from '../workload/generate.js';

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
  /** hash_resize: time spent resizing so far (ms, net of the baseline) and the live bound. */
  resizeMs?: number;
  maxEntries?: number;
}

/** A resize decision of the main map (hash_resize), placed on the run's time and tick axes. */
export interface DecisionPoint extends DecisionRecord {
  tMs: number;
  tick: number;
}

/** What the resize-dynamics figures need from a hash_resize run (issue 17). */
export interface RunDynamics {
  controller: string;
  /** Every decision logged during the run (resizes begun, bound changes), in order; `lost` counts any the ring dropped before they were read. */
  decisions: DecisionPoint[];
  lost: number;
  /** Decisions by reason over the run (holds and backoffs included), net of the baseline. */
  decisionCounts: Record<string, number>;
  resizeMs: number;
  /**
   * The agent's runtime bound keeper (null without one), with the kernel's
   * answer for reference: the bytes a HASH of the same key and value sized
   * for sizing.worstCase (`ceiling`: max_pid in the tracing scenario; not a
   * ceiling of the hash_resize map, which has none) preallocates at creation.
   */
  bound: { initial: number; final: number; raises: number; busy: number; errors: string[]; ceiling: number; hashForCeilingBytes: number } | null;
  /** The agent's walks (null without them). */
  walks: WalkReport[] | null;
  walkErrors: string[];
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
  /** hash_resize only: decisions, time resizing, the runtime bound and the agent's walks. */
  dynamics: RunDynamics | null;
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
  return builtModuleUrl(PROGRAMS[kind], import.meta.url);
}

function paramsFor(w: Workload, tally: SharedArrayBuffer, clock: SharedArrayBuffer, pace: ExperimentParams['pace'], overflow: ExperimentParams['overflow'], limit: number | null): ExperimentParams {
  return { streams: w.streams, phaseEndTicks: w.phases.map((p) => p.endTick), tally, clock, align: true, pace, overflow, limit };
}

/**
 * An untimed pass of a strategy over the first `packets` packets of every
 * CPU's stream (the whole workload when that many or more), on throwaway
 * maps, made exactly as the timed run is: the agent samples the maps and
 * runs the collector, the CPUs keep its pace and each other's, the walks and
 * the bound keeper run. The experiment makes one per strategy before it
 * times any (runExperiment says why).
 */
export async function warmUp(machine: Machine, w: Workload, plan: StrategyPlan, packets: number): Promise<void> {
  const r = await replayStrategy(machine, w, plan, packets);
  if (r.error) throw new Error(`warm-up run of ${plan.id} failed on CPU ${r.error.cpu}: ${r.error.message}`);
}

/**
 * One strategy over the whole workload: creates its maps, replays every
 * CPU's stream on the machine with the agent sampling the maps and (for
 * conntrack) collecting idle entries, samples the outcome counts from this
 * thread meanwhile, and destroys the maps at the end.
 */
export async function runStrategy(machine: Machine, w: Workload, plan: StrategyPlan, onProgress?: (p: RunProgress) => void): Promise<StrategyRun> {
  return replayStrategy(machine, w, plan, null, onProgress);
}

/** runStrategy over the first `limit` packets of every CPU's stream (null: all of them). */
async function replayStrategy(machine: Machine, w: Workload, plan: StrategyPlan, limit: number | null, onProgress?: (p: RunProgress) => void): Promise<StrategyRun> {
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
    const resizable = maps.main instanceof HashResizeMap ? maps.main : null;
    const baseResizeNs = num(before.resizeNs);
    const baseCounts = (before.decisions ?? {}) as Record<string, number>;
    // Decisions made before the run (readying the resizer) are the baseline, not the run's.
    let logNext = resizable ? resizable.decisionLog().next : 0;
    let logLost = 0;
    const decisions: DecisionPoint[] = [];
    const markers = resizable && s.walk ? markerKeys(s.walk.markers, resizable.spec.keySize) : [];
    for (const k of markers) {
      const rc = resizable!.update(k, new Uint8Array(resizable!.spec.valueSize));
      if (rc !== 0) throw new Error(`inserting walk marker keys: update returned ${rc}`);
    }
    // The agent's own name for the map: the run attaches (and at its end closes) the sampled name.
    const controlName = `${plan.mapName}:control`;
    const agent = resizable && (s.walk || s.bound) ? await machine.agent() : null;
    if (agent) await agent.attach(controlName, resizable!);
    if (agent && s.walk) await agent.startWalks(controlName, { modes: s.walk.modes, markers });
    if (agent && s.bound) await agent.startBoundKeeper(controlName, s.bound.everyMs, s.bound.raiseAt, s.bound.factor);
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
      if (resizable) {
        // The ring keeps the last 48 decisions: read every sampling period, none is lost at the rates seen here (counted if one is).
        const log = resizable.decisionLog(logNext);
        logLost += log.lost;
        logNext = log.next;
        const tMs = machine.nowNs() / 1e6;
        for (const d of log.records) decisions.push({ ...d, tMs, tick });
      }
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
      params: paramsFor(w, tally, clock, pace, overflow, limit),
      iterations: limit === null ? w.packetsPerCpu : Math.min(limit, w.packetsPerCpu),
      agent: {
        sample: { maps: sampled, everyMs: s.sampleEveryMs },
        // The collector keeps workload time (see the sweep module): the agent
        // only polls it, every millisecond.
        ...(sweep ? { sweep: { map: plan.mapName, everyMs: 1, module: builtModuleUrl('../gc/sweep.js', import.meta.url), params: sweep } } : {}),
      },
    });
    sampleCounts();
    const timer = setInterval(sampleCounts, s.sampleEveryMs);
    let r: RunResult;
    let walked: { reports: WalkReport[]; errors: string[] } | null = null;
    let kept: { raises: number; busy: number; errors: string[] } | null = null;
    try {
      r = await running;
    } finally {
      clearInterval(timer);
      if (agent && s.walk) walked = await agent.stopWalks();
      if (agent && s.bound) kept = await agent.stopBoundKeeper();
      if (agent) await agent.detach(controlName);
    }
    sampleCounts();
    const fin = maps.main.stats();
    const dynamics: RunDynamics | null = resizable
      ? {
          controller: String(fin.controller),
          decisions,
          lost: logLost,
          decisionCounts: Object.fromEntries(Object.entries((fin.decisions ?? {}) as Record<string, number>).map(([k, v]) => [k, v - (baseCounts[k] ?? 0)])),
          resizeMs: (num(fin.resizeNs) - baseResizeNs) / 1e6,
          bound:
            s.bound && kept
              ? {
                  initial: s.bound.initial,
                  final: fin.maxEntries,
                  raises: kept.raises,
                  busy: kept.busy,
                  errors: kept.errors,
                  ceiling: s.sizing.worstCase,
                  hashForCeilingBytes: HashMap.bytesAtCreate(normalizeSpec({ type: 'hash', keySize: resizable!.spec.keySize, valueSize: resizable!.spec.valueSize, maxEntries: s.sizing.worstCase })),
                }
              : null,
          walks: walked ? walked.reports : null,
          walkErrors: walked ? walked.errors : [],
        }
      : null;

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
      mapSeries: mapSeries(r.series ?? [], plan.mapName, countSeries, baseline, baseResizeNs),
      countSeries,
      finalStats: fin,
      finalOverflowStats: maps.overflow ? maps.overflow.stats() : null,
      baseline,
      dynamics,
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
function mapSeries(series: NonNullable<RunResult['series']>, mainName: string, counts: CountPoint[], base: StrategyRun['baseline'], baseResizeNs: number): MapPoint[] {
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
      if (st.type === 'hash_resize') {
        pt.resizeMs = (num(st.resizeNs) - baseResizeNs) / 1e6;
        pt.maxEntries = st.maxEntries;
      }
    } else {
      pt.overflowEntries = st.entries;
      pt.overflowBytes = st.bytes;
      pt.bytes += st.bytes;
    }
  }
  return [...byTime.values()].sort((a, b) => a.tMs - b.tMs);
}

/**
 * Keys of the walk markers: 0xfe 0xed then the index, the rest zero. Flow
 * keys are 4-tuples of addresses and ports from the workload's generator,
 * which never makes this prefix (flow-key.ts: source addresses are 10.x).
 */
function markerKeys(n: number, keySize: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const k = new Uint8Array(keySize);
    k[0] = 0xfe;
    k[1] = 0xed;
    new DataView(k.buffer).setUint32(keySize - 4, i);
    return k;
  });
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
