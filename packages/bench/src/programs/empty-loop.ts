import { defineProgram } from '@rightsize/workers';
import type { LoopParams } from './loop-params.js';
import { openLoop, restartCounts, tallyOf, type LoopState } from './loop-state.js';

interface EmptyLoopState extends LoopState {
  /** Folds every key in, so that the loop cannot be optimised away. */
  sink: number;
}

/**
 * The baseline: the same loop (keys, batches, events, the Machine's per-event
 * work) with the map operations taken out. Its time per iteration is what
 * the measurement itself costs inside every other figure.
 */
export default defineProgram<EmptyLoopState, LoopParams>({
  setup(ctx) {
    return { ...openLoop(ctx.params, ctx.cpu, ctx.nCpus), sink: 0 };
  },
  run(_ctx, s, i) {
    if (i === 0) restartCounts(s);
    const { keys, mixer, batch, base, loop } = s;
    const n = keys.length;
    let pos = s.pos;
    let j = s.j;
    let sink = s.sink;
    let updates = 0;
    for (let b = 0; b < batch; b++) {
      const k = keys[pos]! + base;
      if (++pos === n) pos = 0;
      sink = (sink + k) | 0;
      if (loop === 'mixer' && ++j === mixer) {
        j = 0;
        updates++;
        sink ^= k;
      }
    }
    s.pos = pos;
    s.j = j;
    s.sink = sink;
    if (loop !== 'update') s.lookups += batch;
    s.updates += loop === 'update' ? batch : updates;
  },
  teardown(_ctx, s) {
    return { ...tallyOf(s), sink: s.sink };
  },
});
