// A program that fails on purpose on CPU params.cpu: mode 'throw' (at event
// params.at), 'exit' (process.exit at event params.at: the worker thread
// ends), 'spin' (an event that never ends), 'setup' (setup throws),
// 'slow-setup' (setup sleeps params.ms). The other CPUs do lookups.
import { defineProgram } from '@rightsize/workers';

export default defineProgram({
  setup(ctx) {
    const p = ctx.params;
    if (ctx.cpu === p.cpu && p.mode === 'setup') throw new RangeError('setup failed on purpose');
    if (ctx.cpu === p.cpu && p.mode === 'slow-setup') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, p.ms);
    return { out: new Uint8Array(4), map: ctx.maps.m, mine: ctx.cpu === p.cpu };
  },
  run(ctx, s, i) {
    ctx.lookupU32(s.map, i & 15, s.out);
    if (!s.mine || i !== ctx.params.at) return;
    if (ctx.params.mode === 'throw') throw new Error(`event ${i} failed on purpose`);
    if (ctx.params.mode === 'exit') process.exit(3);
    if (ctx.params.mode === 'spin') for (;;);
  },
});
