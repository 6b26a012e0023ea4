import type { Cell, Goal, ParamValue } from '../report/bench-result.js';
import { formatRatio } from '../report/format.js';
import { markdownTable } from '../report/markdown.js';

/** The goals, in the order they are printed. */
export const GOALS = {
  hashVsUnsync: { text: 'hash lookup (4 B/4 B, 64Ki keys, 1 CPU) / unsynchronised table', target: 0.6 },
  hashVsMap: { text: 'hash lookup (4 B/4 B, 64Ki keys, 1 CPU) / built-in Map', target: 1.0 },
  mixer10VsUnsync: { text: 'hash mixer-10 (4 B/4 B, 64Ki keys, 1 CPU) / unsynchronised table', target: 0.45 },
  lookupScaling: { text: 'hash lookups, 2 CPUs / 1 CPU', target: 1.8 },
  resizeSteadyVsHash: { text: 'hash_resize steady / hash (worst mixer, 1 CPU)', target: 0.9 },
  resizingVsSteady: { text: 'hash_resize during continuous resize / steady (worst mixer, 1 CPU)', target: 0.7 },
  arrayResizeVsArray: { text: 'array_resize / ARRAY (worst key order, 1 CPU)', target: 0.7 },
  everyMapVsSharedmap: { text: 'every rightsize map / sharedmap (worst cell)', target: 20 },
} as const;

export type GoalId = keyof typeof GOALS;

/** A goal with its figure (null: not measured by this run, `detail` says why). */
export function goal(id: GoalId, value: number | null, detail: string): Goal {
  const g = GOALS[id];
  return { id, text: g.text, target: g.target, value, met: value === null ? null : value >= g.target, detail };
}

/** The cell of a subject whose params include all of `params`. */
export function findCell(cells: Cell[], subject: string, params: Record<string, ParamValue>): Cell | undefined {
  return cells.find((c) => c.subject === subject && Object.entries(params).every(([k, v]) => c.params[k] === v));
}

export function median(c: Cell | undefined): number | null {
  return c?.summary?.median ?? null;
}

/** The smallest of the figures that exist, with its label; null when none does. */
export function worst(figures: { label: string; value: number | null }[]): { label: string; value: number } | null {
  let best: { label: string; value: number } | null = null;
  for (const f of figures) if (f.value !== null && (best === null || f.value < best.value)) best = { label: f.label, value: f.value };
  return best;
}

/** "every map / sharedmap": the worst ratio of any map cell. */
export function sharedmapGoal(cells: Cell[]): Goal {
  const figures = cells.filter((c) => c.role === 'map').map((c) => ({ label: c.id, value: c.ratios.sharedmap ?? null }));
  const w = worst(figures);
  if (w === null) return goal('everyMapVsSharedmap', null, 'no map cell has a sharedmap ratio in this run');
  const n = figures.filter((f) => f.value !== null).length;
  // The resizing cells are the extreme; the worst without them says how the maps do otherwise.
  const calm = worst(figures.filter((f) => !f.label.includes('resizing')));
  const calmText = calm && calm.label !== w.label ? `; outside continuous resizing: ${formatRatio(calm.value)} (${calm.label})` : '';
  return goal('everyMapVsSharedmap', w.value, `worst of ${n} cells: ${w.label}${calmText}`);
}

/**
 * Goals from several suites: a goal measured by more than one keeps the
 * worst figure (the honest one), unmeasured ones stay null.
 */
export function mergeGoals(lists: Goal[][]): Goal[] {
  const byId = new Map<string, Goal>();
  for (const list of lists) {
    for (const g of list) {
      const prev = byId.get(g.id);
      if (!prev || (prev.value === null && g.value !== null) || (g.value !== null && prev.value !== null && g.value < prev.value)) byId.set(g.id, g);
    }
  }
  const order = Object.keys(GOALS);
  return [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}

export function goalsTable(goals: Goal[]): string {
  return markdownTable(
    ['goal', { header: 'target', align: 'right' }, { header: 'measured', align: 'right' }, 'stands', 'detail'],
    goals.map((g) => [g.text, `>= ${formatRatio(g.target)}`, formatRatio(g.value), g.met === null ? 'not measured' : g.met ? 'met' : 'MISSED', g.detail]),
  );
}
