import { LockTimeoutError } from '@rightsize/engine';

/** Violations kept for the report; every one is logged as it is found, however many there are. */
const MAX_KEPT = 200;

/**
 * Every violation a soak run finds (the run must end with none), logged as
 * it is found, and the lock timeouts the main thread met (each is a
 * violation too).
 */
export class Violations {
  readonly list: string[] = [];
  /** LockTimeoutErrors met by the main thread (the CPUs count theirs in their counters). */
  mainLockTimeouts = 0;

  constructor(private readonly log: (line: string) => void) {}

  add(v: string): void {
    if (this.list.length < MAX_KEPT) this.list.push(v);
    this.log(`VIOLATION: ${v}`);
  }

  /** Runs a main-thread step; a LockTimeoutError there is counted (and is a violation), not fatal. */
  guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof LockTimeoutError)) throw e;
      this.mainLockTimeouts++;
      this.add(`main thread, ${what}: ${e.message}`);
    }
  }
}
