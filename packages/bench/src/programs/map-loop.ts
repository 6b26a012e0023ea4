import { BPF_ANY, type BpfMap } from '@rightsize/engine';
import { defineProgram } from '@rightsize/workers';
import { valueByte } from '../references/reference.js';
import type { LoopParams } from './loop-params.js';
import { failSlot, openLoop, restartCounts, tallyOf, type LoopState } from './loop-state.js';

interface MapLoopState extends LoopState {
  map: BpfMap;
  value: Uint8Array;
  out: Uint8Array;
}

/**
 * The benchmark loop on a rightsize map (`ctx.maps.m`), through its public
 * hot path: lookupU32Into and updateU32 with caller-owned buffers, called
 * directly as a BPF program calls bpf_map_lookup_elem (the ctx helpers' per-
 * call accounting is measured separately by helper-loop.ts).
 */
export default defineProgram<MapLoopState, LoopParams>({
  setup(ctx) {
    const map = ctx.maps.m;
    if (map === undefined) throw new TypeError('map-loop needs a map named "m"');
    const value = new Uint8Array(ctx.params.valueSize);
    for (let i = 0; i < value.length; i++) value[i] = valueByte(i);
    return { ...openLoop(ctx.params, ctx.cpu, ctx.nCpus), map, value, out: new Uint8Array(ctx.params.valueSize) };
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

function lookupBatch(s: MapLoopState): void {
  const { map, keys, out, batch, base } = s;
  const n = keys.length;
  let pos = s.pos;
  let misses = 0;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    if (map.lookupU32Into(k, out) !== 0) misses++;
  }
  s.pos = pos;
  s.lookups += batch;
  s.misses += misses;
}

function mixerBatch(s: MapLoopState): void {
  const { map, keys, out, value, mixer, batch, base, failed } = s;
  const n = keys.length;
  let pos = s.pos;
  let j = s.j;
  let misses = 0;
  let updates = 0;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    if (map.lookupU32Into(k, out) !== 0) misses++;
    if (++j === mixer) {
      j = 0;
      updates++;
      const r = map.updateU32(k, value, BPF_ANY);
      if (r !== 0) failed[failSlot(r)]++;
    }
  }
  s.pos = pos;
  s.j = j;
  s.lookups += batch;
  s.misses += misses;
  s.updates += updates;
}

function updateBatch(s: MapLoopState): void {
  const { map, keys, value, batch, base, failed } = s;
  const n = keys.length;
  let pos = s.pos;
  for (let b = 0; b < batch; b++) {
    const k = keys[pos]! + base;
    if (++pos === n) pos = 0;
    const r = map.updateU32(k, value, BPF_ANY);
    if (r !== 0) failed[failSlot(r)]++;
  }
  s.pos = pos;
  s.updates += batch;
}
