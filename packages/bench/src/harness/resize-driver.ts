import { Errno, errnoName } from '@rightsize/engine';
import type { Agent } from '@rightsize/workers';

/** What the control plane did to keep a map resizing. */
export interface ResizeDriverReport {
  /** Resizes it started (grow() / shrink() returned 0). */
  grows: number;
  shrinks: number;
  /** Calls that met a resize still under way (-EBUSY) and were tried again. */
  busy: number;
  /** Calls refused for another reason, by errno name. */
  refused: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps a hash_resize map resizing for as long as it runs: from the agent
 * thread (the control plane, as an operator's daemon would), it asks for a
 * grow, then for a shrink, back to back, each as soon as the previous resize
 * has finished (an ask during a resize is -EBUSY: it waits pollMs and asks
 * again). The migration itself is done by whoever the map's driver names
 * (the resizer thread by default); the CPUs meet it in their updates.
 */
export class ContinuousResize {
  private stopping = false;
  private loop: Promise<void> | null = null;
  private readonly report: ResizeDriverReport = { grows: 0, shrinks: 0, busy: 0, refused: {} };

  constructor(
    private readonly agent: Agent,
    private readonly mapName: string,
    private readonly pollMs = 1,
  ) {}

  start(): void {
    if (this.loop) throw new Error('ContinuousResize: already started');
    this.loop = this.drive();
  }

  /** Stops asking (a resize under way finishes on its own) and says what was done. */
  async stop(): Promise<ResizeDriverReport> {
    this.stopping = true;
    await this.loop;
    return { ...this.report, refused: { ...this.report.refused } };
  }

  private async drive(): Promise<void> {
    let grow = true;
    while (!this.stopping) {
      const r = grow ? await this.agent.grow(this.mapName) : await this.agent.shrink(this.mapName);
      if (r === 0) {
        if (grow) this.report.grows++;
        else this.report.shrinks++;
        grow = !grow;
      } else if (r === -Errno.EBUSY) {
        this.report.busy++;
        await sleep(this.pollMs);
      } else {
        // -E2BIG at the bound, -EINVAL when a shrink would not fit: go the other way.
        const name = errnoName(r);
        this.report.refused[name] = (this.report.refused[name] ?? 0) + 1;
        grow = !grow;
        await sleep(this.pollMs);
      }
    }
  }
}
