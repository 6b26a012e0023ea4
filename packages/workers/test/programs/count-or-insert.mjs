// The count-flows pattern without pre-populated keys: atomicAdd, and on
// -ENOENT insert a zero counter with BPF_NOEXIST (one CPU wins, the other gets
// -EEXIST) and add again.
import { defineProgram } from '@rightsize/workers';
import { BPF_NOEXIST, Errno } from '@rightsize/engine';

export default defineProgram({
  setup(ctx) {
    const keys = [];
    for (let k = 0; k < ctx.params.keys; k++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      keys.push(key);
    }
    return { keys, zero: new Uint8Array(4), counters: ctx.maps.counters };
  },
  run(ctx, s, i) {
    const key = s.keys[i % s.keys.length];
    if (ctx.atomicAdd(s.counters, key, 0, 1) === -Errno.ENOENT) {
      ctx.update(s.counters, key, s.zero, BPF_NOEXIST);
      ctx.atomicAdd(s.counters, key, 0, 1);
    }
  },
});
