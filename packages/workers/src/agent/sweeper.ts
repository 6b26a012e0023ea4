import type { BpfMap } from '@rightsize/engine';
import type { SweepFn } from './api.js';

/**
 * A periodic userspace sweep (a conntrack-style garbage collector): the
 * module's default export runs on the map every `everyMs` with the current
 * ktime. A sweep that is still running when the next tick comes (an async
 * one) makes that tick a no-op: sweeps never overlap. Errors are collected,
 * not thrown: one failing sweep does not stop the others.
 */
export class Sweeper {
  sweeps = 0;
  swept = 0;
  readonly errors: string[] = [];
  private busy: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly name: string,
    private readonly map: BpfMap,
    private readonly fn: SweepFn,
    private readonly params: unknown,
    everyMs: number,
    private readonly nowNs: () => number,
  ) {
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.once().finally(() => (this.busy = null));
    }, everyMs);
  }

  private async once(): Promise<void> {
    try {
      const n = await this.fn(this.map, this.params, this.nowNs());
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError(`the sweep returned ${String(n)}, not a count of removed entries`);
      this.sweeps++;
      this.swept += n;
    } catch (err) {
      this.errors.push(`sweep of ${this.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.busy) await this.busy;
  }
}

/** Loads a sweep module: its default export must be a function. */
export async function loadSweep(href: string): Promise<SweepFn> {
  const mod = (await import(href)) as { default?: unknown };
  if (typeof mod.default !== 'function') throw new TypeError(`${href}: a sweep module's default export must be a function (map, params, nowNs) => removedCount`);
  return mod.default as SweepFn;
}
