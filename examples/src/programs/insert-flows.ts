import { defineProgram, type ProgramContext } from '@rightsize/workers';
import { FLOW_VALUE_SIZE, flowKey } from './flow.js';

export interface InsertFlowsParams {
  /** Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
  flags: number;
  /** New flows: each CPU updates its own flows cpu * perCpu + n, n < perCpu. */
  perCpu?: number;
  /** Or these keys (every CPU the same ones), event i updating keys[i % length]. */
  keys?: Uint8Array[];
}

/** One update per event, the flow's value set to [packets 1, bytes 64]. */
export default defineProgram({
  setup(ctx: ProgramContext<InsertFlowsParams>) {
    const p = ctx.params;
    const keys = p.keys ?? Array.from({ length: p.perCpu ?? 0 }, (_, n) => flowKey(ctx.cpu * p.perCpu! + n));
    if (keys.length === 0) throw new RangeError('insert-flows needs params.perCpu > 0 or a non-empty params.keys');
    const value = new Uint8Array(FLOW_VALUE_SIZE);
    new DataView(value.buffer).setUint32(0, 1, true);
    new DataView(value.buffer).setUint32(4, 64, true);
    return { keys, value, flags: p.flags, map: ctx.maps.flows };
  },
  run(ctx, s, i) {
    ctx.update(s.map, s.keys[i % s.keys.length], s.value, s.flags);
  },
});
