import type { BpfMap } from '@rightsize/engine';
import type { Machine, RunResult } from '@rightsize/workers';
import type { LoopParams, LoopTally } from '../programs/loop-params.js';

/** One CPU's share of a repetition (counted by the program, timed by the Machine from the barrier). */
export interface CpuFigure {
  cpu: number;
  lookups: number;
  updates: number;
  /** Lookups that found nothing. */
  misses: number;
  /** lookups + updates. */
  ops: number;
  /** Barrier to this CPU's last event. */
  elapsedNs: number;
  opsPerSec: number;
  /** CPU time the thread actually got meanwhile (Linux schedstat; null elsewhere): below elapsedNs when others took the core. */
  cpuNs: number | null;
}

/** One timed run of a cell, as measureOnce makes it and a result file keeps it (report/bench-result.ts holds its schema). */
export interface Repetition {
  /** Sum of the CPUs' ops/s: the cell's throughput. */
  opsPerSec: number;
  ops: number;
  /** First CPU leaving the barrier to the last CPU's end. */
  elapsedNs: number;
  misses: number;
  /** Update results by errno name, summed over CPUs. */
  results: Record<string, number>;
  cpus: CpuFigure[];
  /** Figures of this repetition that only some cells have (resizes started, ns spent resizing, ...). */
  extra?: Record<string, number>;
}

/** One timed run of a benchmark program. */
export interface RunSpec {
  program: URL;
  maps: Record<string, BpfMap>;
  /** The loop, plus whatever else the program reads (a reference kind, a layout). */
  params: LoopParams;
  durationMs: number;
  /** Loop iterations each CPU runs before the barrier (JIT warm-up, caches), not counted. */
  warmupOps: number;
  /** Helper latency sampling: 0 for the loops that call the map directly (they use no helper). */
  latencySampleEvery: number;
}

/** Bound on a run beyond its duration: setup (filling a reference) plus warm-up on a loaded machine. */
const RUN_SLACK_MS = 300_000;

function isTally(v: unknown): v is LoopTally {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return typeof t.lookups === 'number' && typeof t.updates === 'number' && typeof t.misses === 'number' && typeof t.results === 'object';
}

/**
 * Turns a run's per-CPU results into a repetition. The operations are the
 * program's own counts (lookups + updates over the measured events); the time
 * is the Machine's, per CPU, from the barrier to its last event
 * (process.hrtime.bigint()); a cell's throughput is the sum of its CPUs'.
 */
export function repetitionOf(run: RunResult): Repetition {
  if (run.error) throw new Error(`CPU ${run.error.cpu} ${run.error.kind} in ${run.error.phase} (event ${run.error.iteration}): ${run.error.message}`);
  const cpus: CpuFigure[] = run.cpus.map((c) => {
    if (!isTally(c.teardown)) throw new Error(`CPU ${c.cpu} returned no loop tally (the program's teardown must return one)`);
    const t = c.teardown;
    const ops = t.lookups + t.updates;
    return {
      cpu: c.cpu,
      lookups: t.lookups,
      updates: t.updates,
      misses: t.misses,
      ops,
      elapsedNs: c.elapsedNs,
      opsPerSec: c.elapsedNs > 0 ? (ops * 1e9) / c.elapsedNs : 0,
      cpuNs: typeof t.cpuNs === 'number' ? t.cpuNs : null,
    };
  });
  const results: Record<string, number> = {};
  for (const c of run.cpus) {
    for (const [name, n] of Object.entries((c.teardown as LoopTally).results)) results[name] = (results[name] ?? 0) + n;
  }
  return {
    opsPerSec: cpus.reduce((a, c) => a + c.opsPerSec, 0),
    ops: cpus.reduce((a, c) => a + c.ops, 0),
    elapsedNs: run.elapsedNs,
    misses: cpus.reduce((a, c) => a + c.misses, 0),
    results,
    cpus,
  };
}

/** Runs the program once on the machine's CPUs: warm-up, barrier, timed batches until the duration ends. */
export async function measureOnce(machine: Machine, spec: RunSpec): Promise<Repetition> {
  const run = await machine.run(spec.program, {
    maps: spec.maps,
    params: spec.params,
    durationMs: spec.durationMs,
    warmupIterations: Math.ceil(spec.warmupOps / spec.params.batch),
    latencySampleEvery: spec.latencySampleEvery,
    timeoutMs: spec.durationMs + RUN_SLACK_MS,
  });
  return repetitionOf(run);
}
