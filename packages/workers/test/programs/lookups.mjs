// Lookup-heavy: every event looks up key (i & mask) of a map holding
// params.keys keys (a power of two).
import { defineProgram } from '@rightsize/workers';

export default defineProgram({
  setup(ctx) {
    return { map: ctx.maps.m, out: new Uint8Array(ctx.maps.m.spec.valueSize), mask: ctx.params.keys - 1 };
  },
  run(ctx, s, i) {
    ctx.lookupU32(s.map, i & s.mask, s.out);
  },
});
