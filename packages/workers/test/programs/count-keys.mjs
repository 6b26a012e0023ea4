// N CPUs add 1 to the counter of key (i % keys) at every event: with atomicAdd
// under the bucket lock, the map's counters must add up to every CPU's events.
import { defineProgram } from '@rightsize/workers';

export default defineProgram({
  setup(ctx) {
    const keys = [];
    for (let k = 0; k < ctx.params.keys; k++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      keys.push(key);
    }
    return { keys, counters: ctx.maps.counters };
  },
  run(ctx, s, i) {
    ctx.atomicAdd(s.counters, s.keys[i % s.keys.length], 0, 1);
  },
});
