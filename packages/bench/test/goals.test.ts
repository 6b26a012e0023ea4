import { describe, expect, it } from 'vitest';
import { finishCells } from '../src/suites/finish.js';
import { goal, mergeGoals, sharedmapGoal } from '../src/suites/goals.js';
import { mapsSuite } from '../src/suites/maps.js';
import { cell } from './support/cells.js';

describe('goals: where each stands', () => {
  it('marks a goal met when the figure reaches the target, missed when not, unmeasured when absent', () => {
    expect(goal('hashVsUnsync', 0.6, '').met).toBe(true);
    expect(goal('hashVsUnsync', 0.59, '').met).toBe(false);
    expect(goal('hashVsUnsync', null, 'not measured')).toMatchObject({ value: null, met: null });
  });

  it('computes the maps goals from the cells of a run', () => {
    const at = { entries: 65536, valueSize: 4 };
    const cells = [
      cell('unsync', 'reference', { ...at, mixer: 'lookup', cpus: 1 }, [50e6]),
      cell('Map', 'reference', { ...at, mixer: 'lookup', cpus: 1 }, [40e6]),
      cell('sharedmap', 'reference', { ...at, mixer: 'lookup', cpus: 1 }, [1e6]),
      cell('hash', 'map', { ...at, mixer: 'lookup', cpus: 1 }, [30e6]),
      cell('hash', 'map', { ...at, mixer: 'lookup', cpus: 2 }, [57e6]),
      cell('hash_resize', 'map', { ...at, mixer: 'lookup', cpus: 1 }, [27e6]),
      cell('hash_resize resizing', 'map', { ...at, mixer: 'lookup', cpus: 1 }, [18e6]),
    ];
    finishCells(cells, mapsSuite.matchOn);
    const goals = Object.fromEntries(mapsSuite.goals(cells, mapsSuite.defaults(true, 2)).map((g) => [g.id, g]));
    expect(goals.hashVsUnsync).toMatchObject({ value: 0.6, met: true });
    expect(goals.hashVsMap).toMatchObject({ value: 0.75, met: false });
    expect(goals.mixer10VsUnsync).toMatchObject({ value: null, met: null });
    expect(goals.lookupScaling!.value).toBeCloseTo(1.9);
    expect(goals.resizeSteadyVsHash!.value).toBeCloseTo(0.9);
    expect(goals.resizingVsSteady!.value).toBeCloseTo(2 / 3);
    expect(goals.everyMapVsSharedmap).toMatchObject({ value: 18, met: false });
  });

  it('quotes the worst map cell against sharedmap', () => {
    const at = { entries: 1, valueSize: 4, mixer: 1 };
    const cells = [cell('sharedmap', 'reference', { ...at, cpus: 1 }, [1e6]), cell('a', 'map', { ...at, cpus: 1 }, [30e6]), cell('b', 'map', { ...at, cpus: 1 }, [25e6])];
    finishCells(cells, ['entries', 'valueSize', 'mixer']);
    const g = sharedmapGoal(cells);
    expect(g.value).toBe(25);
    expect(g.detail).toContain('b |');
  });

  it('keeps the worst figure of a goal measured by several suites, and a measured one over an unmeasured one', () => {
    const merged = mergeGoals([[goal('everyMapVsSharedmap', 30, 'maps'), goal('hashVsMap', null, 'no')], [goal('everyMapVsSharedmap', 22, 'arrays'), goal('hashVsMap', 1.2, 'yes')]]);
    expect(merged.map((g) => [g.id, g.value])).toEqual([
      ['hashVsMap', 1.2],
      ['everyMapVsSharedmap', 22],
    ]);
  });
});
