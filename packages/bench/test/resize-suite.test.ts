import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBenchResult } from '../src/report/bench-result.js';
import { resizeSuite } from '../src/suites/resize.js';
import { measuredProblems, runTiny, updateResults, type TinyRun } from './support/tiny-run.js';

describe('the resize suite, end to end with tiny sizes', () => {
  let run: TinyRun;
  beforeAll(async () => {
    run = await runTiny(resizeSuite, { mixers: [1], durationMs: 40 });
  }, 120_000);
  afterAll(() => run?.cleanup());

  it('measures hash_resize off, idle and resizing under every policy', () => {
    expect(measuredProblems(run.result.cells)).toEqual([]);
    const subjects = new Set(run.result.cells.map((c) => c.subject));
    for (const s of ['hash', 'hash_resize off', 'hash_resize idle', 'hash_resize resizing (fail)', 'hash_resize resizing (retry)', 'hash_resize resizing (help)']) expect(subjects).toContain(s);
  });

  it('sees no EBUSY without a resize, nor under the help policy', () => {
    for (const c of run.result.cells.filter((x) => !x.subject.includes('resizing') || x.subject.endsWith('(help)'))) {
      expect({ id: c.id, ebusy: updateResults(c).EBUSY ?? 0 }).toEqual({ id: c.id, ebusy: 0 });
    }
  });

  it('resizes while the resizing cells run, and never misses a key meanwhile', () => {
    for (const c of run.result.cells.filter((x) => x.subject.includes('resizing'))) {
      for (const r of c.repetitions) {
        // The driver starts with a grow, or a shrink when the last repetition left the map grown.
        expect((r.extra?.askedGrows ?? 0) + (r.extra?.askedShrinks ?? 0)).toBeGreaterThanOrEqual(1);
        expect(r.misses).toBe(0);
      }
    }
  });

  it('writes a valid result file', () => {
    expect(validateBenchResult(run.written)).toEqual([]);
  });
});
