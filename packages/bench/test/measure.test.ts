import type { RunResult } from '@rightsize/workers';
import { describe, expect, it } from 'vitest';
import { repetitionOf } from '../src/harness/measure.js';

function cpu(id: number, elapsedNs: number, teardown: unknown) {
  return { cpu: id, iterations: 10, elapsedNs, startNs: 0, setupDoneNs: 0, endNs: elapsedNs, opsPerSec: 0, ops: {}, results: {}, latency: {}, timerOverheadNs: 0, phase: 'done', teardown };
}

function runOf(cpus: ReturnType<typeof cpu>[], extra: Partial<RunResult> = {}): RunResult {
  return { cpus, total: { ops: 0, opsPerSec: 0, iterations: 0, results: {} }, elapsedNs: 2e9, ...extra } as unknown as RunResult;
}

describe('a repetition from a run: the program counts, the Machine times', () => {
  it("sums the CPUs' rates and counts", () => {
    const rep = repetitionOf(
      runOf([
        cpu(0, 1e9, { lookups: 900, updates: 100, misses: 0, results: { OK: 90, EBUSY: 10 }, cpuNs: 5e8 }),
        cpu(1, 2e9, { lookups: 1800, updates: 200, misses: 3, results: { OK: 200 }, cpuNs: null }),
      ]),
    );
    expect(rep.cpus.map((c) => c.opsPerSec)).toEqual([1000, 1000]);
    expect(rep.opsPerSec).toBe(2000);
    expect(rep.ops).toBe(3000);
    expect(rep.misses).toBe(3);
    expect(rep.results).toEqual({ OK: 290, EBUSY: 10 });
    expect(rep.elapsedNs).toBe(2e9);
    expect(rep.cpus.map((c) => c.cpuNs)).toEqual([5e8, null]);
  });

  it('fails with the CPU and the message when the run reported an error', () => {
    const run = runOf([cpu(0, 1e9, undefined)], { error: { cpu: 1, iteration: 5, message: 'boom', kind: 'threw', phase: 'run' } as RunResult['error'] });
    expect(() => repetitionOf(run)).toThrow(/CPU 1 threw.*boom/);
  });

  it('fails when a program returned no tally', () => {
    expect(() => repetitionOf(runOf([cpu(0, 1e9, { nothing: true })]))).toThrow(/no loop tally/);
  });
});
