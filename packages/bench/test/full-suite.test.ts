import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBenchResult } from '../src/report/bench-result.js';
import { fullSuite } from '../src/suites/full.js';
import { measuredProblems, runTiny, updateResults, type TinyRun } from './support/tiny-run.js';

describe('the full suite, end to end with tiny sizes', () => {
  let run: TinyRun;
  beforeAll(async () => {
    run = await runTiny(fullSuite);
  }, 120_000);
  afterAll(() => run?.cleanup());

  it('measures every map and reference', () => {
    expect(measuredProblems(run.result.cells)).toEqual([]);
  });

  it('refuses every new key into a full HASH, hash_resize at its bound and the references (-E2BIG)', () => {
    for (const c of run.result.cells.filter((x) => x.params.keys === 'new' && x.subject !== 'lru_hash')) expect({ id: c.id, results: Object.keys(updateResults(c)) }).toEqual({ id: c.id, results: ['E2BIG'] });
  });

  it('still replaces existing keys when full, and an LRU map takes new keys by evicting', () => {
    for (const c of run.result.cells.filter((x) => x.params.keys === 'existing' || x.subject === 'lru_hash')) expect({ id: c.id, results: Object.keys(updateResults(c)) }).toEqual({ id: c.id, results: ['OK'] });
  });

  it('writes a valid result file', () => {
    expect(validateBenchResult(run.written)).toEqual([]);
  });
});
