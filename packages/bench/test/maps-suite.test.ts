import { access } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBenchResult } from '../src/report/bench-result.js';
import { mapsSuite } from '../src/suites/maps.js';
import { measuredProblems, runTiny, updateResults, type TinyRun } from './support/tiny-run.js';
import { svgProblems } from './support/svg.js';
import { readFile } from 'node:fs/promises';

describe('the maps suite, end to end with tiny sizes', () => {
  let run: TinyRun;
  beforeAll(async () => {
    run = await runTiny(mapsSuite, { mixers: ['lookup', 1] });
  }, 120_000);
  afterAll(() => run?.cleanup());

  it('measures every map type, reference and the empty loop on 1 and 2 CPUs', () => {
    expect(measuredProblems(run.result.cells)).toEqual([]);
    const subjects = new Set(run.result.cells.map((c) => c.subject));
    for (const s of ['hash', 'hash noPrealloc', 'lru_hash', 'percpu_hash', 'hash_resize', 'hash_resize resizing', 'unsync', 'Map', 'sharedmap', 'empty', 'hash (ctx helpers)']) {
      expect(subjects).toContain(s);
    }
  });

  it("records each CPU's own CPU time where the platform gives it (Linux)", () => {
    const figures = run.result.cells.flatMap((c) => c.repetitions.flatMap((r) => r.cpus));
    if (process.platform === 'linux') for (const f of figures) expect(f.cpuNs).toBeGreaterThan(0);
    else for (const f of figures) expect(f.cpuNs).toBeNull();
  });

  it('never misses a present key, also while the map resizes', () => {
    for (const c of run.result.cells) expect({ id: c.id, misses: c.repetitions.reduce((a, r) => a + r.misses, 0) }).toEqual({ id: c.id, misses: 0 });
  });

  it('updates succeed, except that a resizing hash_resize may answer -EBUSY (fail policy)', () => {
    for (const c of run.result.cells.filter((x) => x.params.mixer === 1 && x.role !== 'baseline')) {
      const allowed = c.subject === 'hash_resize resizing' ? ['OK', 'EBUSY'] : ['OK'];
      expect(Object.keys(updateResults(c)).filter((k) => !allowed.includes(k))).toEqual([]);
    }
  });

  it('keeps the resizing map resizing: the agent started resizes in every repetition', () => {
    const resizing = run.result.cells.filter((c) => c.subject === 'hash_resize resizing');
    // The driver starts with a grow, or a shrink when the last repetition left the map grown.
    for (const c of resizing) for (const r of c.repetitions) expect((r.extra?.askedGrows ?? 0) + (r.extra?.askedShrinks ?? 0)).toBeGreaterThanOrEqual(1);
  });

  it('quotes every map cell against each reference', () => {
    for (const c of run.result.cells.filter((x) => x.role === 'map' && x.subject !== 'hash (ctx helpers)')) {
      expect(Object.keys(c.ratios).sort()).toEqual(['Map', 'sharedmap', 'unsync']);
      expect(c.ratios.unsync).toBeGreaterThan(0);
    }
  });

  it('writes a valid result file, a Markdown report and well-formed charts', async () => {
    expect(validateBenchResult(run.written)).toEqual([]);
    expect(run.markdown).toContain('## Goals');
    await access(run.files!.markdown);
    expect(run.files!.svgs.length).toBe(2);
    for (const f of run.files!.svgs) expect(svgProblems(await readFile(f, 'utf8'))).toEqual([]);
    expect(run.files!.latest.some((f) => f.endsWith('latest/maps.json'))).toBe(true);
  });
});
