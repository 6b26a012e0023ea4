import { verify, type BpfMap } from '@rightsize/engine';
import type { SoakCpus } from './cpus.js';
import { LEDGER_KEYS, ledgerBase, ledgerHashKey, type SoakWords } from './layout.js';
import { KEYSPACE } from './maps.js';
import type { SoakMapSet } from './map-set.js';
import { stampOf } from './values.js';
import type { Violations } from './violations.js';

/** A CPU that has not reached a pause point this long after the pause began is killed (and that is a violation). */
const PAUSE_WAIT_MS = 60_000;
/** A resize still under way this long into a pause, with every CPU paused, is a violation. */
const QUIET_WAIT_MS = 20_000;
/** A resize seen at this many verify pauses in a row without any progress is stuck. */
const STUCK_PAUSES = 3;

/**
 * The soak's checks: in a pause of every CPU (and once more at the end,
 * with every CPU gone), every map is repaired as its next write would
 * repair it and verified, every resize must be making progress, and every
 * CPU's ledger must still be in the maps.
 */
export class SoakVerification {
  /** Pauses done (the final check included): the next pause's epoch is verifies + 1. */
  verifies = 0;
  ledgerChecks = 0;
  /** Per map under resize: where the resize stood at the last pause, and at how many pauses in a row. */
  private readonly resizeSeen = new Map<string, { at: string; pauses: number }>();

  constructor(
    private readonly cpuCount: number,
    private readonly set: SoakMapSet,
    private readonly words: SoakWords,
    private readonly cpus: SoakCpus,
    private readonly violations: Violations,
  ) {}

  /** Pauses every CPU at its next pause point, checks everything, and lets them go on. */
  async pauseAndVerify(): Promise<void> {
    const epoch = this.verifies + 1;
    this.words.setPause(epoch);
    const deadline = Date.now() + PAUSE_WAIT_MS;
    for (let cpu = 0; cpu < this.cpuCount; cpu++) {
      while (!this.words.paused(cpu, epoch)) {
        if (Date.now() > deadline) {
          this.violations.add(`CPU ${cpu} did not reach a pause point within ${PAUSE_WAIT_MS} ms`);
          await this.cpus.killOnce(cpu);
          break;
        }
        // A CPU replaced meanwhile (or starting) reaches the pause on its first loop.
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    for (const [name, m] of this.set.maps) {
      await this.repairAndVerify(name, m);
      this.checkResizeProgress(name, m);
    }
    this.checkLedger();
    this.verifies++;
    this.words.setPause(0);
  }

  /** The last check, with every CPU gone. */
  async finalCheck(): Promise<void> {
    for (const [name, m] of this.set.maps) await this.repairAndVerify(name, m);
    this.checkLedger();
    this.verifies++;
  }

  private async repairAndVerify(name: string, m: BpfMap): Promise<void> {
    // What the map's next write would do after a death: take over dead
    // owners' locks, replay their writes, give back what they took.
    this.violations.guarded(`repairing ${name}`, () => m.repair());
    if (name === 'hash_resize_deferred') await this.verifyQuiet(name, m);
    else for (const p of verify(m).problems) this.violations.add(`${name}: ${p}`);
  }

  /**
   * hash_resize with the deferred driver resizes on its own thread, which the
   * pause does not stop: the map is verified at a moment with no resize under
   * way, and a problem counts only if it is still there on later attempts
   * (the resizer may hold R_LOCK for an instant while it looks at the
   * watermarks); a dead owner's lock would stay.
   */
  private async verifyQuiet(name: string, m: BpfMap): Promise<void> {
    let problems: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const deadline = Date.now() + QUIET_WAIT_MS;
      while (m.stats().state === 'resizing') {
        if (Date.now() > deadline) {
          this.violations.add(`${name}: a resize stayed under way for ${QUIET_WAIT_MS} ms with every CPU paused`);
          return;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      const before = m.stats();
      problems = verify(m).problems;
      const after = m.stats();
      const quiet = after.state === 'idle' && after.grows === before.grows && after.shrinks === before.shrinks;
      if (quiet && problems.length === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const p of problems) this.violations.add(`${name}: ${p}`);
  }

  /**
   * A resize must end, whoever died in it: its dead migrators' batches are
   * taken over. One seen at STUCK_PAUSES pauses in a row with the same
   * progress (while the CPUs wrote the map in between) never will: every
   * write to its unmigrated buckets answers -EBUSY for good, which the
   * results alone would not show.
   */
  private checkResizeProgress(name: string, m: BpfMap): void {
    const s = m.stats();
    if (s.state !== 'resizing') {
      this.resizeSeen.delete(name);
      return;
    }
    const at = JSON.stringify({ grows: s.grows, shrinks: s.shrinks, resizing: s.resizing });
    const prev = this.resizeSeen.get(name);
    const pauses = prev !== undefined && prev.at === at ? prev.pauses + 1 : 1;
    this.resizeSeen.set(name, { at, pauses });
    if (pauses === STUCK_PAUSES) this.violations.add(`${name}: a resize made no progress across ${STUCK_PAUSES} verify pauses (${at})`);
  }

  /** The ledger of every CPU: each entry holds its last committed stamp, or the stamp that was in flight. */
  private checkLedger(): void {
    const ledger = this.words.ledger;
    for (const [name, li] of this.set.ledgerIndex) {
      const m = this.set.maps.get(name)!;
      const key = new Uint8Array(4);
      const out = new Uint8Array(m.spec.valueSize);
      for (let cpu = 0; cpu < this.cpuCount; cpu++) {
        const base = ledgerBase(li, cpu);
        const flightKey = Atomics.load(ledger, base + LEDGER_KEYS);
        const flightStamp = Atomics.load(ledger, base + LEDGER_KEYS + 1);
        for (let j = 0; j < LEDGER_KEYS; j++) {
          const committed = Atomics.load(ledger, base + j);
          const n = m.spec.type === 'array' ? KEYSPACE + cpu * LEDGER_KEYS + j : ledgerHashKey(cpu, j);
          new DataView(key.buffer).setUint32(0, n, true);
          const rc = m.lookupInto(key, out);
          this.ledgerChecks++;
          const stamp = rc === 0 ? stampOf(out) : null;
          // Absent is right only for an entry never committed (its first write may have been the one in flight).
          const ok = rc === 0 ? stamp === committed || (j === flightKey && stamp === flightStamp) : committed === 0;
          if (!ok)
            this.violations.add(
              `${name}: ledger entry ${j} of CPU ${cpu}: found ${rc === 0 ? `stamp ${stamp}` : `nothing (${rc})`}, committed ${committed}, in flight ${j === flightKey ? flightStamp : 'none'}`,
            );
        }
      }
    }
  }
}
