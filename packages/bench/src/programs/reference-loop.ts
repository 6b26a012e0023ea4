import { defineProgram } from '@rightsize/workers';
import { createReference } from '../references/create.js';
import { isReferenceKind, type Reference, type ReferenceKind } from '../references/reference.js';
import type { LoopParams } from './loop-params.js';
import { failSlot, openLoop, restartCounts, tallyOf, type LoopState } from './loop-state.js';

export interface ReferenceLoopParams extends LoopParams {
  reference: ReferenceKind;
  maxEntries: number;
  /** Keys 0..fill-1 are inserted before the loop. */
  fill: number;
  /** Keys the loop may use are below keySpace. */
  keySpace: number;
}

interface ReferenceLoopState extends LoopState {
  ref: Reference;
}

/**
 * A filled reference is kept for the next run with the same parameters (a
 * suite runs several repetitions; filling sharedmap is slow). Its contents do
 * not change across runs: updates write the same value to present keys, and
 * updates of absent keys into a full reference fail.
 */
let cached: { key: string; ref: Reference } | null = null;

function referenceFor(p: ReferenceLoopParams): Reference {
  const key = `${p.reference}/${p.maxEntries}/${p.valueSize}/${p.keySpace}/${p.fill}`;
  if (cached?.key === key) return cached.ref;
  cached = null;
  const ref = createReference(p.reference, { maxEntries: p.maxEntries, valueSize: p.valueSize, keySpace: p.keySpace });
  for (let k = 0; k < p.fill; k++) {
    const r = ref.update(k);
    if (r !== 0) throw new Error(`filling the ${p.reference} reference: update of key ${k} returned ${r}`);
  }
  cached = { key, ref };
  return ref;
}

/** The benchmark loop on a reference (unsync table, Map, sharedmap, typed array), single thread, built in this CPU. */
export default defineProgram<ReferenceLoopState, ReferenceLoopParams>({
  setup(ctx) {
    const p = ctx.params;
    if (!isReferenceKind(p.reference)) throw new TypeError(`params.reference is not a reference kind: ${String(p.reference)}`);
    return { ...openLoop(p, ctx.cpu, ctx.nCpus), ref: referenceFor(p) };
  },
  run(_ctx, s, i) {
    if (i === 0) restartCounts(s);
    if (s.loop === 'lookup') lookupBatch(s);
    else if (s.loop === 'mixer') mixerBatch(s);
    else updateBatch(s);
  },
  teardown(_ctx, s) {
    return tallyOf(s);
  },
});

function lookupBatch(s: ReferenceLoopState): void {
  const { ref, keys, batch, base } = s;
  const n = keys.length;
  let pos = s.pos;
  let misses = 0;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    if (ref.lookup(k) !== 0) misses++;
  }
  s.pos = pos;
  s.lookups += batch;
  s.misses += misses;
}

function mixerBatch(s: ReferenceLoopState): void {
  const { ref, keys, mixer, batch, base, failed } = s;
  const n = keys.length;
  let pos = s.pos;
  let j = s.j;
  let misses = 0;
  let updates = 0;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    if (ref.lookup(k) !== 0) misses++;
    if (++j === mixer) {
      j = 0;
      updates++;
      const r = ref.update(k);
      if (r !== 0) failed[failSlot(r)]++;
    }
  }
  s.pos = pos;
  s.j = j;
  s.lookups += batch;
  s.misses += misses;
  s.updates += updates;
}

function updateBatch(s: ReferenceLoopState): void {
  const { ref, keys, batch, base, failed } = s;
  const n = keys.length;
  let pos = s.pos;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    const r = ref.update(k);
    if (r !== 0) failed[failSlot(r)]++;
  }
  s.pos = pos;
  s.updates += batch;
}
