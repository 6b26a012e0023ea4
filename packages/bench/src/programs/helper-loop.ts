import { BPF_ANY, type BpfMap } from '@rightsize/engine';
import { defineProgram } from '@rightsize/workers';
import { valueByte } from '../references/reference.js';
import type { LoopParams } from './loop-params.js';
import { failSlot, openLoop, restartCounts, tallyOf, type LoopState } from './loop-state.js';

interface HelperLoopState extends LoopState {
  map: BpfMap;
  value: Uint8Array;
  out: Uint8Array;
}

/**
 * map-loop.ts through the ctx helpers (ctx.lookupU32 / ctx.updateU32): each
 * call is also counted per CPU by errno and one in latencySampleEvery is
 * timed. The difference to map-loop.ts is what that accounting costs.
 */
export default defineProgram<HelperLoopState, LoopParams>({
  setup(ctx) {
    const map = ctx.maps.m;
    if (map === undefined) throw new TypeError('helper-loop needs a map named "m"');
    const value = new Uint8Array(ctx.params.valueSize);
    for (let i = 0; i < value.length; i++) value[i] = valueByte(i);
    return { ...openLoop(ctx.params, ctx.cpu, ctx.nCpus), map, value, out: new Uint8Array(ctx.params.valueSize) };
  },
  run(ctx, s, i) {
    if (i === 0) restartCounts(s);
    const { map, keys, out, value, mixer, batch, base, failed, loop } = s;
    const n = keys.length;
    let pos = s.pos;
    let j = s.j;
    let misses = 0;
    let updates = 0;
    for (let b = 0; b < batch; b++) {
      const k = keys[pos]! + base;
      if (++pos === n) pos = 0;
      if (loop !== 'update' && ctx.lookupU32(map, k, out) !== 0) misses++;
      if (loop !== 'lookup' && ++j >= mixer) {
        j = 0;
        updates++;
        const r = ctx.updateU32(map, k, value, BPF_ANY);
        if (r !== 0) failed[failSlot(r)]++;
      }
    }
    s.pos = pos;
    s.j = j;
    if (loop !== 'update') s.lookups += batch;
    s.misses += misses;
    s.updates += updates;
  },
  teardown(_ctx, s) {
    return tallyOf(s);
  },
});
