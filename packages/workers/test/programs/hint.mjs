// Every CPU hints at its first event that `params.expect` entries are coming
// (the talk's bpf_grow() as a wish), then inserts keys of its own.
import { defineProgram } from '@rightsize/workers';
import { BPF_ANY } from '@rightsize/engine';

export default defineProgram({
  setup(ctx) {
    return { map: ctx.maps.m, value: new Uint8Array(4), base: ctx.cpu * 1_000_000, expect: ctx.params.expect };
  },
  run(ctx, s, i) {
    if (i === 0) ctx.resizeHint(s.map, s.expect);
    else ctx.updateU32(s.map, s.base + i, s.value, BPF_ANY);
  },
});
