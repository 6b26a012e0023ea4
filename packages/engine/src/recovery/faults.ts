/**
 * Fault points in recovery code, for tests that prove a failure in the
 * middle of a takeover leaves the lock in a state the next taker recovers
 * (locks/bucket-lock.ts, lockRecover).
 *
 * Recovery runs only after a death, never in a hot path, so the check is a
 * module variable read. A hook set in one thread affects only that thread
 * (a module is per isolate).
 */
export type RecoveryStep = 'seq-open' | 'record-open' | 'replay' | 'seq-close';

let hook: ((step: RecoveryStep) => void) | null = null;

/** Installs (or with null removes) a function called at every recovery step; it may throw to inject a failure. */
export function setRecoveryFaultHook(fn: ((step: RecoveryStep) => void) | null): void {
  hook = fn;
}

/** Marks a step of a takeover (see RecoveryStep). */
export function recoveryStep(step: RecoveryStep): void {
  if (hook !== null) hook(step);
}
