// params.slowCpu sleeps params.slowMs in setup; every CPU records the ktime of
// its first and last event, returned by teardown (event 0 comes twice with a
// warm-up: the warm-up's, then the run's, which is the one kept).
import { defineProgram } from '@rightsize/workers';

export default defineProgram({
  setup(ctx) {
    if (ctx.cpu === ctx.params.slowCpu) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ctx.params.slowMs);
    return { first: -1, last: -1, out: new Uint8Array(4), map: ctx.maps.m };
  },
  run(ctx, s, i) {
    const t = ctx.ktimeGetNs();
    if (i === 0) s.first = t;
    s.last = t;
    ctx.lookupU32(s.map, 0, s.out);
  },
  teardown(ctx, s) {
    return { first: s.first, last: s.last, cpu: ctx.smpProcessorId() };
  },
});
