import { BPF_NOEXIST, Errno } from '@rightsize/engine';
import { defineProgram, type ProgramContext } from '@rightsize/workers';
import { BYTES_AT, FLOW_VALUE_SIZE, PACKETS_AT, flowKey, packetFlow, packetLength } from './flow.js';

export interface CountFlowsParams {
  /** Distinct flows the synthetic traffic is spread over. */
  flows: number;
}

/**
 * Counts packets and bytes per flow, like an XDP flow counter: add to the
 * flow's counters; on a miss, insert a zeroed entry with BPF_NOEXIST (when two
 * CPUs see the same new flow, one insert wins and the other gets -EEXIST) and
 * add again. Keys are made in setup, so an event allocates nothing.
 */
export default defineProgram({
  setup(ctx: ProgramContext<CountFlowsParams>) {
    const p = ctx.params;
    const keys = Array.from({ length: p.flows }, (_, n) => flowKey(n));
    return { keys, flows: p.flows, map: ctx.maps.flows, zero: new Uint8Array(FLOW_VALUE_SIZE) };
  },
  run(ctx, s, i) {
    const key = s.keys[packetFlow(ctx.cpu, i, s.flows)];
    const len = packetLength(ctx.cpu, i);
    if (ctx.atomicAdd(s.map, key, PACKETS_AT, 1) === -Errno.ENOENT) {
      ctx.update(s.map, key, s.zero, BPF_NOEXIST);
      ctx.atomicAdd(s.map, key, PACKETS_AT, 1);
    }
    ctx.atomicAdd(s.map, key, BYTES_AT, len);
  },
});
