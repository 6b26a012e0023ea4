// Calls several helpers per event (lookup, update, delete), so that latency
// sampling across helpers can be checked.
import { defineProgram } from '@rightsize/workers';
import { BPF_ANY } from '@rightsize/engine';

export default defineProgram({
  setup(ctx) {
    return { map: ctx.maps.m, out: new Uint8Array(4), value: new Uint8Array(4), base: ctx.cpu * 1000 };
  },
  run(ctx, s, i) {
    const k = s.base + (i % 100);
    ctx.lookupU32(s.map, k, s.out);
    ctx.updateU32(s.map, k, s.value, BPF_ANY);
    if (i % 3 === 0) ctx.deleteU32(s.map, k);
  },
});
