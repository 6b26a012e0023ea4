import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBenchResult } from '../src/report/bench-result.js';
import { arraysSuite } from '../src/suites/arrays.js';
import { measuredProblems, runTiny, updateResults, type TinyRun } from './support/tiny-run.js';

describe('the arrays suite, end to end with tiny sizes', () => {
  let run: TinyRun;
  beforeAll(async () => {
    run = await runTiny(arraysSuite);
  }, 120_000);
  afterAll(() => run?.cleanup());

  it('measures ARRAY, both ARRAY_OF_MAPS layouts and array_resize in both key orders', () => {
    expect(measuredProblems(run.result.cells)).toEqual([]);
    const seen = new Set(run.result.cells.map((c) => `${c.subject}/${c.params.order}`));
    for (const s of ['array', 'array_of_maps 1', 'array_of_maps N', 'array_resize', 'typed_array', 'unsync', 'Map', 'sharedmap']) {
      expect(seen).toContain(`${s}/sequential`);
      expect(seen).toContain(`${s}/shuffled`);
    }
  });

  it('looks up and updates one element per iteration, every one found and every update accepted', () => {
    for (const c of run.result.cells) {
      for (const r of c.repetitions) {
        expect(r.misses).toBe(0);
        for (const cpu of r.cpus) expect(cpu.updates).toBe(cpu.lookups);
      }
      expect(Object.keys(updateResults(c))).toEqual(['OK']);
    }
  });

  it('writes a valid result file', () => {
    expect(validateBenchResult(run.written)).toEqual([]);
    expect(run.written.goals.map((g) => g.id)).toContain('arrayResizeVsArray');
  });
});
