import { BPF_ANY } from '@rightsize/engine';
import { defineProgram, type ProgramContext } from '@rightsize/workers';

export interface ConntrackParams {
  /** Each CPU opens a new connection this often (µs of ktime); packets in between belong to the current one. */
  newEveryUs: number;
}

/**
 * A connection tracker: every packet refreshes its connection's entry, the
 * value [connection id, last seen in µs of ktime]. Connections come and go
 * with time, so the table only stays bounded if something expires the idle
 * ones: the agent's sweep (expire-flows), as conntrack's garbage collector.
 */
export default defineProgram({
  setup(ctx: ProgramContext<ConntrackParams>) {
    const value = new Uint8Array(8);
    const p = ctx.params;
    return { map: ctx.maps.conntrack, value, view: new DataView(value.buffer), everyNs: p.newEveryUs * 1000, base: ctx.cpu << 24 };
  },
  run(ctx, s) {
    const now = ctx.ktimeGetNs();
    const id = s.base | (Math.floor(now / s.everyNs) & 0xffffff);
    s.view.setUint32(0, id, true);
    s.view.setUint32(4, Math.floor(now / 1000), true);
    ctx.updateU32(s.map, id, s.value, BPF_ANY);
  },
});
