import { C_ARRIVED, C_GATE, GATE_ABORTED, GATE_CLOSED, GATE_OPEN } from './run-buffer.js';

export type BarrierOutcome = 'open' | 'aborted' | 'timeout';

/** Each wait sleeps at most this long, then re-checks the gate and the deadline. */
const SLICE_MS = 50;

/**
 * The start barrier: a CPU arrives once its setup and warm-up are done, and no
 * CPU leaves before all `nCpus` arrived.
 *
 * The last CPU to arrive opens the gate (compareExchange 0 -> 1) and wakes the
 * others. A CPU that fails during setup, the main thread (a CPU died) or a CPU
 * that waited `timeoutMs` aborts it instead (0 -> 2). The gate word is what the
 * waiters sleep on, so a change to it can never be missed between a waiter's
 * check and its `Atomics.wait`. The add on ARRIVED and the exchange on GATE are
 * sequentially consistent: every write a CPU made during setup is visible to
 * every CPU that saw the gate open.
 */
export function arriveAndWait(ctl: Int32Array, nCpus: number, timeoutMs: number): BarrierOutcome {
  if (Atomics.add(ctl, C_ARRIVED, 1) + 1 === nCpus) {
    if (Atomics.compareExchange(ctl, C_GATE, GATE_CLOSED, GATE_OPEN) === GATE_CLOSED) {
      Atomics.notify(ctl, C_GATE);
      return 'open';
    }
  }
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const gate = Atomics.load(ctl, C_GATE);
    if (gate === GATE_OPEN) return 'open';
    if (gate === GATE_ABORTED) return 'aborted';
    const left = deadline - performance.now();
    if (left <= 0) {
      if (Atomics.compareExchange(ctl, C_GATE, GATE_CLOSED, GATE_ABORTED) === GATE_CLOSED) {
        Atomics.notify(ctl, C_GATE);
        return 'timeout';
      }
      continue;
    }
    Atomics.wait(ctl, C_GATE, GATE_CLOSED, Math.min(SLICE_MS, left));
  }
}
