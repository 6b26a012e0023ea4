// Every CPU asks for a grow at its first event and a shrink at its second,
// then inserts keys of its own: the resize helpers' results are counted like
// any other helper's.
import { defineProgram } from '@rightsize/workers';
import { BPF_ANY } from '@rightsize/engine';

export default defineProgram({
  setup(ctx) {
    return { map: ctx.maps.m, value: new Uint8Array(4), base: ctx.cpu * 1_000_000 };
  },
  run(ctx, s, i) {
    if (i === 0) ctx.grow(s.map);
    else if (i === 1) ctx.shrink(s.map);
    else ctx.updateU32(s.map, s.base + i, s.value, BPF_ANY);
  },
});
