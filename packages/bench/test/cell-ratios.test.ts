import { describe, expect, it } from 'vitest';
import { finishCells } from '../src/suites/finish.js';
import { cell } from './support/cells.js';

describe('finishCells: summaries and ratios to the references of the same run', () => {
  const at = { entries: 1024, valueSize: 4, mixer: 'lookup' };

  it("divides a map cell's median by the matching reference's median", () => {
    const cells = [
      cell('unsync', 'reference', { ...at, cpus: 1 }, [40e6, 50e6, 60e6]),
      cell('Map', 'reference', { ...at, cpus: 1 }, [20e6, 25e6, 30e6]),
      cell('hash', 'map', { ...at, cpus: 1 }, [30e6, 10e6, 20e6]),
    ];
    finishCells(cells, ['entries', 'valueSize', 'mixer']);
    const hash = cells[2]!;
    expect(hash.summary?.median).toBe(20e6);
    expect(hash.ratios.unsync).toBeCloseTo(0.4);
    expect(hash.ratios.Map).toBeCloseTo(0.8);
  });

  it('matches references on the given params only: a 2-CPU cell is quoted against the single-thread reference', () => {
    const cells = [cell('unsync', 'reference', { ...at, cpus: 1 }, [50e6]), cell('hash', 'map', { ...at, cpus: 2 }, [60e6])];
    finishCells(cells, ['entries', 'valueSize', 'mixer']);
    expect(cells[1]!.ratios.unsync).toBeCloseTo(1.2);
  });

  it('gives null when no reference shares the params, and never a ratio for references themselves', () => {
    const cells = [cell('unsync', 'reference', { ...at, mixer: 10, cpus: 1 }, [50e6]), cell('hash', 'map', { ...at, cpus: 1 }, [20e6])];
    finishCells(cells, ['entries', 'valueSize', 'mixer']);
    expect(cells[1]!.ratios.unsync).toBeNull();
    expect(cells[0]!.ratios).toEqual({});
  });

  it('leaves a failed cell without a summary and its ratios null', () => {
    const failed = cell('hash', 'map', { ...at, cpus: 1 }, []);
    failed.error = 'CPU 0 threw';
    const cells = [cell('unsync', 'reference', { ...at, cpus: 1 }, [50e6]), failed];
    finishCells(cells, ['entries', 'valueSize', 'mixer']);
    expect(failed.summary).toBeNull();
    expect(failed.ratios.unsync).toBeNull();
  });

  it('derives the share of wall time the CPUs ran, null when CPU time is unknown', () => {
    const c = cell('hash', 'map', { ...at, cpus: 1 }, [40e6, 50e6]);
    c.repetitions[0]!.cpus[0]!.cpuNs = c.repetitions[0]!.elapsedNs * 0.5;
    const unknown = cell('hash', 'map', { ...at, cpus: 2 }, [40e6]);
    unknown.repetitions[0]!.cpus[0]!.cpuNs = null;
    finishCells([c, unknown], ['entries']);
    expect(c.notes.cpuShare).toBeCloseTo(0.7);
    expect(unknown.notes.cpuShare).toBeNull();
  });

  it('derives ns per operation per CPU and EBUSY per million operations', () => {
    const c = cell('hash_resize', 'map', { ...at, cpus: 2 }, [40e6]);
    c.repetitions[0]!.results = { OK: 990, EBUSY: 10 };
    finishCells([c], ['entries']);
    expect(c.notes.nsPerOpPerCpu).toBeCloseTo(50);
    expect(c.notes.ebusyPerMillion).toBeCloseTo(10_000);
  });
});
