import { nsPerOp, perMillion, ratio } from '../harness/ratio.js';
import { summarize } from '../harness/summary.js';
import type { Cell } from '../report/bench-result.js';

/**
 * Fills in what the repetitions imply: the summary of ops/s, the ratios to
 * the references that share the `matchOn` params, and generic notes.
 */
export function finishCells(cells: Cell[], matchOn: string[], extraNotes?: (c: Cell) => Record<string, number | string | null>): void {
  const refs = cells.filter((c) => c.role === 'reference');
  for (const c of cells) {
    const rates = c.repetitions.map((r) => r.opsPerSec);
    c.summary = rates.length > 0 ? summarize(rates) : null;
  }
  const kinds = [...new Set(refs.map((r) => r.subject))];
  for (const c of cells) {
    if (c.role !== 'map') continue;
    for (const kind of kinds) {
      const ref = refs.find((r) => r.subject === kind && matchOn.every((k) => r.params[k] === c.params[k]));
      c.ratios[kind] = ratio(c.summary?.median, ref?.summary?.median);
    }
  }
  for (const c of cells) {
    const ops = c.repetitions.reduce((a, r) => a + r.ops, 0);
    const misses = c.repetitions.reduce((a, r) => a + r.misses, 0);
    const updates = c.repetitions.reduce((a, r) => a + r.cpus.reduce((x, y) => x + y.updates, 0), 0);
    const ebusy = c.repetitions.reduce((a, r) => a + (r.results.EBUSY ?? 0), 0);
    const cpus = typeof c.params.cpus === 'number' ? c.params.cpus : 1;
    const per = nsPerOp(c.summary?.median);
    c.notes.nsPerOpPerCpu = per === null ? null : per * cpus;
    c.notes.missesPerMillion = perMillion(misses, ops);
    c.notes.updateShare = ratio(updates, ops);
    c.notes.ebusyPerMillion = perMillion(ebusy, ops);
    c.notes.cpuShare = cpuShare(c);
    c.notes.opsPerCpuSecond = opsPerCpuSecond(c);
    if (extraNotes) Object.assign(c.notes, extraNotes(c));
  }
}

/**
 * The share of the wall time the cell's CPUs actually ran (median over its
 * repetitions): 1 on an idle machine, lower when other processes took the
 * cores meanwhile. Null when CPU time could not be read.
 */
export function cpuShare(c: Cell): number | null {
  const shares: number[] = [];
  for (const r of c.repetitions) {
    let cpu = 0;
    let wall = 0;
    for (const f of r.cpus) {
      if (f.cpuNs === null) return null;
      cpu += f.cpuNs;
      wall += f.elapsedNs;
    }
    const s = ratio(cpu, wall);
    if (s !== null) shares.push(Math.min(1, s));
  }
  return shares.length === 0 ? null : summarize(shares).median;
}

/**
 * Operations per second of CPU time actually received (median over the
 * repetitions), summed over CPUs as ops/s are: the throughput the cell would
 * show if nothing else ran. A check on wall-clock figures taken on a busy
 * machine, not a replacement for them. Null when CPU time could not be read.
 */
export function opsPerCpuSecond(c: Cell): number | null {
  const rates: number[] = [];
  for (const r of c.repetitions) {
    let rate = 0;
    for (const f of r.cpus) {
      if (f.cpuNs === null || f.cpuNs <= 0) return null;
      rate += (f.ops * 1e9) / f.cpuNs;
    }
    rates.push(rate);
  }
  return rates.length === 0 ? null : summarize(rates).median;
}
