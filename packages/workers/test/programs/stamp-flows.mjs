// Each CPU keeps refreshing params.keys flows of its own (key cpu * keys + n):
// the value is [flow key u32, last seen in µs u32] on the run's ktime clock,
// the way a conntrack program stamps its entries.
import { defineProgram } from '@rightsize/workers';
import { BPF_ANY } from '@rightsize/engine';

export default defineProgram({
  setup(ctx) {
    const value = new Uint8Array(8);
    return { map: ctx.maps.flows, value, view: new DataView(value.buffer), base: ctx.cpu * ctx.params.keys };
  },
  run(ctx, s, i) {
    const k = s.base + (i % ctx.params.keys);
    s.view.setUint32(0, k, true);
    s.view.setUint32(4, Math.floor(ctx.ktimeGetNs() / 1000), true);
    ctx.updateU32(s.map, k, s.value, BPF_ANY);
  },
});
