import type { BpfMap } from '@rightsize/engine';
import type { SamplePoint } from './api.js';

/**
 * Samples `stats()` of some maps: once at start, then every `everyMs` (a
 * timer in the agent thread), and once more at stop unless `count` samplings
 * were already taken. So a series always shows the state at both ends, and
 * with `count` it has exactly count x maps points.
 */
export class Sampler {
  readonly series: SamplePoint[] = [];
  private taken = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  /** Why sampling ended early (a map's stats() threw: destroyed, closed), or null. */
  failure: string | null = null;

  constructor(
    private readonly maps: [string, BpfMap][],
    everyMs: number,
    private readonly count: number | undefined,
    private readonly nowNs: () => number,
  ) {
    this.sample();
    if (this.active) this.timer = setInterval(() => this.sample(), everyMs);
  }

  get active(): boolean {
    return this.failure === null && (this.count === undefined || this.taken < this.count);
  }

  private sample(): void {
    const t = this.nowNs();
    try {
      const points = this.maps.map(([name, map]): SamplePoint => ({ t, map: name, stats: map.stats() }));
      this.series.push(...points);
      this.taken++;
    } catch (err) {
      // A timer callback must not throw (it would take the agent thread down).
      this.failure = `sampling stopped: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!this.active) this.finish();
  }

  private finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `count` samplings were taken; rejects if sampling failed first. */
  async done(): Promise<void> {
    if (this.count === undefined) throw new Error('sampling has no count: stop it with stopSampling()');
    if (this.active) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure !== null) throw new Error(this.failure);
  }

  stop(): SamplePoint[] {
    if (this.active) this.sample();
    this.finish();
    return this.series;
  }
}
