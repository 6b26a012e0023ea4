import { BENCH_SCHEMA, type BenchResult } from '../../src/report/bench-result.js';
import { machineInfo } from '../../src/report/machine.js';
import { finishCells } from '../../src/suites/finish.js';
import { goal } from '../../src/suites/goals.js';
import { cell } from './cells.js';

/** A complete, consistent result file (finished cells, one goal), as a suite writes it. */
export function sampleResult(): BenchResult {
  const at = { entries: 1024, valueSize: 4, mixer: 'lookup' };
  const cells = [cell('unsync', 'reference', { ...at, cpus: 1 }, [50e6, 52e6, 48e6]), cell('hash', 'map', { ...at, cpus: 1 }, [30e6, 31e6, 29e6])];
  finishCells(cells, ['entries', 'valueSize', 'mixer']);
  return {
    schema: BENCH_SCHEMA,
    suite: 'maps',
    title: 'Map operations per second',
    createdAt: new Date('2026-01-02T03:04:05.678Z').toISOString(),
    command: 'pnpm bench --quick',
    machine: machineInfo(),
    parameters: { entries: [1024], repetitions: 3 },
    cells,
    goals: [goal('hashVsUnsync', cells[1]!.ratios.unsync!, 'sample')],
    wallMs: 1234,
  };
}
