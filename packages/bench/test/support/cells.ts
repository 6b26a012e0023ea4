import type { Repetition } from '../../src/harness/measure.js';
import type { Cell } from '../../src/report/bench-result.js';

/** A repetition of one CPU whose figures agree with each other (ops = lookups + updates). */
export function repetition(opsPerSec: number, opts: { lookups?: number; updates?: number; results?: Record<string, number> } = {}): Repetition {
  const lookups = opts.lookups ?? 1000;
  const updates = opts.updates ?? 0;
  const ops = lookups + updates;
  const elapsedNs = (ops / opsPerSec) * 1e9;
  return {
    opsPerSec,
    ops,
    elapsedNs,
    misses: 0,
    results: opts.results ?? (updates > 0 ? { OK: updates } : {}),
    cpus: [{ cpu: 0, lookups, updates, misses: 0, ops, elapsedNs, opsPerSec, cpuNs: elapsedNs * 0.9 }],
  };
}

/** A cell with the given repetitions' throughputs, not yet finished (no summary, ratios or notes). */
export function cell(subject: string, role: Cell['role'], params: Cell['params'], rates: number[]): Cell {
  return {
    id: `${subject} | ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    subject,
    role,
    params,
    repetitions: rates.map((r) => repetition(r)),
    summary: null,
    ratios: {},
    notes: {},
  };
}
