import type { SamplePoint, SweepReport } from '../agent/api.js';
import { HELPERS, RESULT_NAMES } from '../runtime/helpers.js';
import { LATENCY_BUCKETS, quantile } from '../runtime/histogram.js';
import { COUNTS_AT, HIST_AT, N_RESULTS, PHASES, W_END, W_EVENTS, W_PHASE, W_SETUP_DONE, W_START, W_TIMER, type Phase } from '../runtime/run-buffer.js';

/** A helper's sampled latencies, ns. */
export interface LatencySummary {
  /** Calls timed (about one in latencySampleEvery). */
  count: number;
  p50: number;
  p99: number;
  p999: number;
  /** log2 buckets: [0] is [0, 1) ns, [b] is [2^(b-1), 2^b) ns, the last is >= 2^32 ns. */
  buckets: number[];
}

export interface CpuResult {
  cpu: number;
  /** Events run after the barrier. */
  iterations: number;
  /** This CPU's barrier-to-end time. */
  elapsedNs: number;
  /** When it left the barrier (ns since the run's epoch, the ktime clock). */
  startNs: number;
  /** When it finished setup and warm-up (ktime). */
  setupDoneNs: number;
  /** When its last event ended (ktime). */
  endNs: number;
  /** Helper calls per second over elapsedNs. */
  opsPerSec: number;
  /** Helper name -> calls (helpers never called are left out). */
  ops: Record<string, number>;
  /** Helper -> result name ('OK', 'ENOENT', 'E2BIG', ...) -> count (zero counts left out; 'OK' first, then errnos in Errno order). */
  results: Record<string, Record<string, number>>;
  latency: Record<string, LatencySummary>;
  /** The clock's own cost, subtracted from every latency sample. */
  timerOverheadNs: number;
  /** Where the CPU ended: 'done', or the phase it was in when it died or was killed. */
  phase: Phase;
  teardown?: unknown;
}

export interface RunError {
  cpu: number;
  /** The event the error happened in (its index), -1 outside events (load, setup, teardown). */
  iteration: number;
  message: string;
  stack?: string;
  /** threw: the program raised; died: the CPU's worker exited or crashed; timeout: the run's bound ran out. */
  kind: 'threw' | 'died' | 'timeout';
  phase: Phase;
}

export interface RunTotal {
  ops: number;
  /** All CPUs' helper calls over the run's elapsedNs. */
  opsPerSec: number;
  iterations: number;
  results: Record<string, Record<string, number>>;
}

export interface RunResult {
  cpus: CpuResult[];
  total: RunTotal;
  /** From the first CPU leaving the barrier to the last CPU's end. */
  elapsedNs: number;
  error?: RunError;
  series?: SamplePoint[];
  agent?: SweepReport;
}

/** One CPU's result from its stats region. */
export function readCpuResult(region: Float64Array, cpu: number): CpuResult {
  const ops: Record<string, number> = {};
  const results: Record<string, Record<string, number>> = {};
  const latency: Record<string, LatencySummary> = {};
  let calls = 0;
  HELPERS.forEach((name, h) => {
    let n = 0;
    const byResult: Record<string, number> = {};
    for (let r = 0; r < N_RESULTS; r++) {
      const c = region[COUNTS_AT + h * N_RESULTS + r]!;
      if (c > 0) {
        byResult[RESULT_NAMES[r]!] = c;
        n += c;
      }
    }
    if (n === 0) return;
    ops[name] = n;
    results[name] = byResult;
    calls += n;
    const buckets = Array.from(region.subarray(HIST_AT + h * LATENCY_BUCKETS, HIST_AT + (h + 1) * LATENCY_BUCKETS));
    const count = buckets.reduce((a, b) => a + b, 0);
    if (count > 0) latency[name] = { count, p50: quantile(buckets, 0.5), p99: quantile(buckets, 0.99), p999: quantile(buckets, 0.999), buckets };
  });
  const startNs = region[W_START]!;
  const endNs = region[W_END]!;
  const elapsedNs = startNs > 0 && endNs > startNs ? endNs - startNs : 0;
  return {
    cpu,
    iterations: region[W_PHASE]! >= PHASES.indexOf('run') ? region[W_EVENTS]! : 0,
    elapsedNs,
    startNs,
    setupDoneNs: region[W_SETUP_DONE]!,
    endNs,
    opsPerSec: elapsedNs > 0 ? (calls * 1e9) / elapsedNs : 0,
    ops,
    results,
    latency,
    timerOverheadNs: region[W_TIMER]!,
    phase: PHASES[region[W_PHASE]!] ?? 'idle',
  };
}

/** Sums the CPUs. */
export function totalOf(cpus: CpuResult[]): { total: RunTotal; elapsedNs: number } {
  const results: Record<string, Record<string, number>> = {};
  let ops = 0;
  let iterations = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const c of cpus) {
    iterations += c.iterations;
    for (const [h, byResult] of Object.entries(c.results)) {
      const into = (results[h] ??= {});
      for (const [r, n] of Object.entries(byResult)) {
        into[r] = (into[r] ?? 0) + n;
        ops += n;
      }
    }
    if (c.elapsedNs > 0) {
      first = Math.min(first, c.startNs);
      last = Math.max(last, c.endNs);
    }
  }
  const elapsedNs = last > first ? last - first : 0;
  return { total: { ops, opsPerSec: elapsedNs > 0 ? (ops * 1e9) / elapsedNs : 0, iterations, results: canonical(results) }, elapsedNs };
}

/** Helpers in HELPERS order and results in RESULT_NAMES order ('OK' first), as every CPU's own results are. */
function canonical(results: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const h of HELPERS) {
    const byResult = results[h];
    if (!byResult) continue;
    const sorted: Record<string, number> = {};
    for (const r of RESULT_NAMES) if (byResult[r] !== undefined) sorted[r] = byResult[r];
    out[h] = sorted;
  }
  return out;
}
