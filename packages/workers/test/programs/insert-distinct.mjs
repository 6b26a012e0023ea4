// Each CPU inserts its own keys (cpu * perCpu + i) with BPF_NOEXIST: into a
// HASH smaller than all of them, the inserts beyond maxEntries get -E2BIG.
import { defineProgram } from '@rightsize/workers';
import { BPF_NOEXIST } from '@rightsize/engine';

export default defineProgram({
  setup(ctx) {
    return { map: ctx.maps.flows, value: new Uint8Array(4), base: ctx.cpu * ctx.params.perCpu };
  },
  run(ctx, s, i) {
    ctx.updateU32(s.map, s.base + i, s.value, BPF_NOEXIST);
  },
});
