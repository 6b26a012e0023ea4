import { Worker } from 'node:worker_threads';
import { builtModuleUrl } from '@rightsize/engine';
import type { SoakWords } from './layout.js';
import type { SoakMapSet } from './map-set.js';
import type { SoakOptions } from './options.js';
import type { Violations } from './violations.js';
import type { SoakWorkerData } from './worker.js';

interface Cpu {
  worker: Worker | null;
  incarnation: number;
  /** When the current worker was started (Date.now()). */
  startedAt: number;
  /** Set while the main thread is the one ending it (a kill or the end of the run). */
  ending: boolean;
}

/** A replacement CPU is sometimes killed again this soon after its start. */
const QUICK_KILL_MS = 50;
/** A CPU still running this long after the end of the run is terminated (and that is a violation). */
const STOP_WAIT_MS = 30_000;

/**
 * The soak's CPUs: one worker thread each (worker.ts), started, killed at
 * random and replaced under the same CPU id, and stopped at the end. A CPU
 * that crashes or exits on its own is a violation.
 */
export class SoakCpus {
  kills = 0;
  /** Kills of a CPU worker that was itself started after an earlier death (a replacement killed again). */
  replacementKills = 0;
  /** Of those, kills within QUICK_KILL_MS of the replacement's start. */
  quickKills = 0;
  private readonly cpus: Cpu[];
  private readonly workerUrl = builtModuleUrl('./worker.js', import.meta.url);

  constructor(
    private readonly opts: SoakOptions,
    private readonly set: SoakMapSet,
    private readonly words: SoakWords,
    private readonly violations: Violations,
  ) {
    this.cpus = Array.from({ length: opts.cpus }, () => ({ worker: null, incarnation: 0, startedAt: 0, ending: false }));
  }

  /** Starts (or restarts) CPU `cpu`'s worker. */
  start(cpu: number): void {
    const c = this.cpus[cpu]!;
    const { set, words, violations } = this;
    const data: SoakWorkerData = {
      cpu,
      incarnation: c.incarnation++,
      seed: this.opts.seed,
      domain: set.domain.sab,
      maps: set.defs.map((d) => ({ name: d.name, handle: set.maps.get(d.name)!.handle, ledger: set.ledgerIndex.get(d.name) ?? -1, resizes: d.resizes })),
      control: words.control,
      counters: words.countersSab,
      ledger: words.ledgerSab,
      hostileEvery: this.opts.hostileEvery,
    };
    const w = new Worker(this.workerUrl, { workerData: data });
    c.worker = w;
    c.startedAt = Date.now();
    c.ending = false;
    w.on('message', (m: { violation?: string }) => {
      if (m.violation) violations.add(m.violation);
    });
    w.on('error', (e) => violations.add(`CPU ${cpu} crashed: ${e.stack ?? e.message}`));
    w.on('exit', (code) => {
      if (!c.ending) violations.add(`CPU ${cpu} exited on its own (code ${code})`);
      if (c.worker === w) c.worker = null;
    });
  }

  /** Kills CPU `cpu`'s worker wherever it is, and starts its replacement. */
  async killOnce(cpu: number): Promise<void> {
    const c = this.cpus[cpu]!;
    const w = c.worker;
    if (!w) return;
    c.ending = true;
    const replacement = c.incarnation > 1;
    const quick = Date.now() - c.startedAt < QUICK_KILL_MS;
    await w.terminate();
    // No domain.markDead here, on purpose. The worker runtime calls it when it
    // sees a CPU worker exit, but a CPU can die where nobody watches (a crash,
    // an abort, a worker started by someone else), so the engine must find a
    // dead CPU by itself: its lock waiters and grace periods ask the OS
    // whether the thread still exists (rcu/liveness.ts). Marking it here
    // would hide a death the engine fails to find.
    this.kills++;
    if (replacement) this.replacementKills++;
    if (replacement && quick) this.quickKills++;
    this.start(cpu);
  }

  /**
   * A CPU death, and now and then the death of its replacement too, soon
   * after its start (it may still be attaching, going online, or taking over
   * the locks its predecessor left), while the other CPUs go on with their
   * loops or wait on those very locks.
   */
  async kill(cpu: number): Promise<void> {
    await this.killOnce(cpu);
    while (Math.random() < 0.3) {
      await new Promise((r) => setTimeout(r, Math.random() * QUICK_KILL_MS));
      await this.killOnce(cpu);
    }
  }

  /** Ends the run: every CPU leaves its loop and its worker exits (one that does not within STOP_WAIT_MS is terminated). */
  async stopAll(): Promise<void> {
    this.words.stop();
    await Promise.all(
      this.cpus.map(async (c) => {
        const w = c.worker;
        if (!w) return;
        c.ending = true;
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        const timer = setTimeout(() => {
          this.violations.add('a CPU did not stop within 30 s of the end of the run');
          void w.terminate();
        }, STOP_WAIT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
