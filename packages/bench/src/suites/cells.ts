import type { LoopParams } from '../programs/loop-params.js';
import type { ReferenceLoopParams } from '../programs/reference-loop.js';
import { programUrl } from '../programs/url.js';
import type { ReferenceKind } from '../references/reference.js';
import type { ParamValue } from '../report/bench-result.js';
import type { CellPlan, GroupPlan } from './plan.js';

/** A loop and the params it is reported under (cpus excluded: references run on one CPU). */
export interface Variant {
  params: Record<string, ParamValue>;
  loop: LoopParams;
}

/** How the references are sized for a group of variants. */
export interface ReferenceSizing {
  maxEntries: number;
  /** Keys 0..fill-1 are inserted before the loop. */
  fill: number;
  keySpace: number;
}

/** A group measuring each reference kind under each variant, single thread, built in the CPU (no shared map). */
export function referenceGroup(label: string, kinds: readonly ReferenceKind[], variants: Variant[], sizing: ReferenceSizing): GroupPlan {
  const cells: CellPlan[] = [];
  for (const kind of kinds) {
    for (const v of variants) {
      const loop: ReferenceLoopParams = { ...v.loop, reference: kind, ...sizing };
      cells.push({ subject: kind, role: 'reference', params: { ...v.params, cpus: 1 }, cpus: 1, program: programUrl('reference-loop', kind), loop });
    }
  }
  return { label, open: () => ({ maps: {}, close() {} }), cells };
}

/** One cell per (CPU count, variant) for a map subject, all on the group's map "m". */
export function mapCells(subject: string, cpus: number[], variants: Variant[], extra: Partial<CellPlan> = {}): CellPlan[] {
  const program = extra.program ?? programUrl('map-loop', subject);
  const cells: CellPlan[] = [];
  for (const n of cpus) {
    for (const v of variants) cells.push({ subject, role: 'map', params: { ...v.params, cpus: n }, cpus: n, program, loop: v.loop, ...extra });
  }
  return cells;
}
