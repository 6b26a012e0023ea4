import { describe, expect, it } from 'vitest';
import { assertBenchResult, validateBenchResult, type BenchResult } from '../src/report/bench-result.js';
import { sampleResult } from './support/result.js';

/** The sample after a JSON round trip (what a reader gets), changed by `f`. */
function broken(f: (r: BenchResult) => void): unknown {
  const r = JSON.parse(JSON.stringify(sampleResult())) as BenchResult;
  f(r);
  return r;
}

describe('the result file schema (rightsize-bench/1)', () => {
  it('accepts a complete, consistent result after a JSON round trip', () => {
    expect(validateBenchResult(JSON.parse(JSON.stringify(sampleResult())))).toEqual([]);
  });

  it('rejects another schema version', () => {
    expect(validateBenchResult(broken((r) => ((r as { schema: string }).schema = 'rightsize-bench/0')))).toEqual([expect.stringContaining('$.schema')]);
  });

  it('rejects a missing machine description, naming the field', () => {
    expect(validateBenchResult(broken((r) => delete (r as Partial<BenchResult>).machine))).toContain('$.machine: missing');
  });

  it('rejects a throughput that is not a finite number', () => {
    const errors = validateBenchResult(broken((r) => ((r.cells[0]!.repetitions[1]!.opsPerSec as unknown) = 'fast')));
    expect(errors).toContainEqual(expect.stringContaining('$.cells[0].repetitions[1].opsPerSec: expected a finite number'));
  });

  it('rejects a summary that disagrees with its repetitions', () => {
    const errors = validateBenchResult(broken((r) => (r.cells[1]!.summary!.max = 99e6)));
    expect(errors).toContainEqual(expect.stringContaining('min/max differ'));
  });

  it("rejects a repetition whose CPUs' operations do not add up", () => {
    const errors = validateBenchResult(broken((r) => (r.cells[0]!.repetitions[0]!.ops += 1)));
    expect(errors).toContainEqual(expect.stringContaining('its CPUs add up to'));
  });

  it('rejects duplicate cell ids', () => {
    const errors = validateBenchResult(broken((r) => (r.cells[1]!.id = r.cells[0]!.id)));
    expect(errors).toContainEqual(expect.stringContaining('duplicate cell id'));
  });

  it('rejects an unknown property (a typo in a writer)', () => {
    const errors = validateBenchResult(broken((r) => ((r.cells[1] as unknown as Record<string, unknown>).speed = 1)));
    expect(errors).toEqual(['$.cells[1].speed: unknown property']);
  });

  it('rejects a failed cell that does not say why', () => {
    const errors = validateBenchResult(
      broken((r) => {
        r.cells[1]!.repetitions = [];
        r.cells[1]!.summary = null;
      }),
    );
    expect(errors).toContainEqual(expect.stringContaining('must say why'));
  });

  it('rejects a goal whose verdict disagrees with its figure', () => {
    const errors = validateBenchResult(broken((r) => (r.goals[0]!.met = !r.goals[0]!.met)));
    expect(errors).toContainEqual(expect.stringContaining('$.goals[0].met'));
  });

  it('throws a TypeError listing the problems from assertBenchResult', () => {
    expect(() => assertBenchResult({ schema: 'x' })).toThrow(TypeError);
    expect(() => assertBenchResult(JSON.parse(JSON.stringify(sampleResult())))).not.toThrow();
  });
});
