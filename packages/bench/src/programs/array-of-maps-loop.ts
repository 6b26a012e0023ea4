import { BPF_ANY, type ArrayOfMapsMap, type BpfMap } from '@rightsize/engine';
import { defineProgram } from '@rightsize/workers';
import { valueByte } from '../references/reference.js';
import type { LoopParams } from './loop-params.js';
import { failSlot, openLoop, restartCounts, tallyOf, type LoopState } from './loop-state.js';

export interface ArrayOfMapsLoopParams extends LoopParams {
  /**
   * 'one': every key is in inner array 0, looked up once per event (the
   * talk's ARRAY_map*: arrayPtr = lookup(map_of_arrays, 0) before the loop).
   * 'slots': key k is in inner array k >> innerShift at offset k & mask,
   * looked up every iteration (the talk's ARRAY_map*{N}).
   */
  layout: 'one' | 'slots';
  /** log2 of the inner arrays' size ('slots'). */
  innerShift: number;
}

interface ArrayOfMapsLoopState extends LoopState {
  outer: ArrayOfMapsMap;
  layout: 'one' | 'slots';
  shift: number;
  mask: number;
  value: Uint8Array;
  out: Uint8Array;
}

/**
 * The arrays suite's loop on an array_of_maps of ARRAY inner maps (`m`):
 * each iteration looks an element up and, every mixer-th, updates it, in
 * the inner array the key maps to. An inner map pointer is used only within
 * one event: a program may hold it until its next quiescent point.
 */
export default defineProgram<ArrayOfMapsLoopState, ArrayOfMapsLoopParams>({
  setup(ctx) {
    const p = ctx.params;
    const outer = ctx.maps.m as ArrayOfMapsMap | undefined;
    if (outer === undefined || typeof outer.lookupMap !== 'function') throw new TypeError('array-of-maps-loop needs an array_of_maps named "m"');
    if (p.loop !== 'mixer') throw new TypeError('array-of-maps-loop runs the mixer loop only');
    const value = new Uint8Array(p.valueSize);
    for (let i = 0; i < value.length; i++) value[i] = valueByte(i);
    return {
      ...openLoop(p, ctx.cpu, ctx.nCpus),
      outer,
      layout: p.layout,
      shift: p.innerShift,
      mask: 2 ** p.innerShift - 1,
      value,
      out: new Uint8Array(p.valueSize),
    };
  },
  run(_ctx, s, i) {
    if (i === 0) restartCounts(s);
    if (s.layout === 'one') oneInnerBatch(s);
    else slotsBatch(s);
  },
  teardown(_ctx, s) {
    return tallyOf(s);
  },
});

function oneInnerBatch(s: ArrayOfMapsLoopState): void {
  const { keys, out, value, mixer, batch, base, failed } = s;
  const inner = s.outer.lookupMap(0) as BpfMap;
  const n = keys.length;
  let pos = s.pos;
  let j = s.j;
  let misses = 0;
  let updates = 0;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    if (inner.lookupU32Into(k, out) !== 0) misses++;
    if (++j === mixer) {
      j = 0;
      updates++;
      const r = inner.updateU32(k, value, BPF_ANY);
      if (r !== 0) failed[failSlot(r)]++;
    }
  }
  s.pos = pos;
  s.j = j;
  s.lookups += batch;
  s.misses += misses;
  s.updates += updates;
}

function slotsBatch(s: ArrayOfMapsLoopState): void {
  const { outer, keys, out, value, mixer, batch, base, failed, shift, mask } = s;
  const n = keys.length;
  let pos = s.pos;
  let j = s.j;
  let misses = 0;
  let updates = 0;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    const inner = outer.lookupMap(k >>> shift);
    if (inner === undefined) {
      misses++;
      continue;
    }
    const off = k & mask;
    if (inner.lookupU32Into(off, out) !== 0) misses++;
    if (++j === mixer) {
      j = 0;
      updates++;
      const r = inner.updateU32(off, value, BPF_ANY);
      if (r !== 0) failed[failSlot(r)]++;
    }
  }
  s.pos = pos;
  s.j = j;
  s.lookups += batch;
  s.misses += misses;
  s.updates += updates;
}
