import { SoakCpus } from './cpus.js';
import { SoakWords } from './layout.js';
import { SoakMapSet } from './map-set.js';
import type { SoakOptions } from './options.js';
import { progressLine, soakReport, type SoakFigures, type SoakReport } from './report.js';
import { SoakVerification } from './verification.js';
import { Violations } from './violations.js';

/** The main thread looks at its timers this often. */
const ROUND_MS = 20;
/** array_of_maps gets a new inner map this often. */
const SWAP_EVERY_MS = 1000;

/**
 * The soak: every map type under mixed load from all CPUs for `seconds`,
 * with the resizable maps resizing all along, a CPU killed at a random
 * moment every `killEveryMs` (and replaced), and every `verifyEveryMs` a
 * pause in which every map is repaired (as its next write would) and
 * verified, and every CPU's ledger checked (no committed write lost). Every
 * violation is collected: a torn value read, a hostile input accepted or
 * answered with anything but a clear error, an unexpected exception, a
 * verify problem, a ledger entry lost, a CPU that stops answering.
 */
export async function runSoak(opts: SoakOptions, log: (line: string) => void = () => undefined): Promise<SoakReport> {
  if (opts.cpus < 1 || opts.cpus > 128) throw new RangeError(`cpus must be in 1..128, got ${opts.cpus}`);
  const violations = new Violations(log);
  const set = new SoakMapSet(opts.cpus, violations);
  const words = new SoakWords(set.ledgerIndex.size, opts.cpus);
  const cpus = new SoakCpus(opts, set, words, violations);
  const verification = new SoakVerification(opts.cpus, set, words, cpus, violations);
  const figures: SoakFigures = { opts, words, set, cpus, verification, violations };

  const t0 = Date.now();
  for (let cpu = 0; cpu < opts.cpus; cpu++) cpus.start(cpu);
  log(
    `soak: ${opts.seconds} s on ${opts.cpus} CPUs, ${set.defs.length} maps (${set.defs.map((d) => d.name).join(', ')}), kill every ~${opts.killEveryMs} ms, verify every ${opts.verifyEveryMs} ms, seed ${opts.seed}`,
  );
  try {
    await runRounds(figures, t0, log);
  } finally {
    await cpus.stopAll();
  }
  const elapsed = (Date.now() - t0) / 1000;
  await verification.finalCheck();
  const report = soakReport(figures, elapsed);
  set.destroy();
  return report;
}

/**
 * The run itself, from `t0` to its end: every round, whatever is due (a CPU
 * kill at a jittered interval, an inner-map swap, a verify pause, a
 * progress line).
 */
async function runRounds(f: SoakFigures, t0: number, log: (line: string) => void): Promise<void> {
  const { opts, set, cpus, verification } = f;
  const end = t0 + opts.seconds * 1000;
  const jitter = () => opts.killEveryMs * (0.5 + Math.random());
  let nextKill = opts.killEveryMs > 0 ? t0 + jitter() : Infinity;
  let nextVerify = t0 + opts.verifyEveryMs;
  let nextProgress = t0 + opts.progressEveryMs;
  let nextSwap = t0 + SWAP_EVERY_MS;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, ROUND_MS));
    const now = Date.now();
    if (now >= nextKill) {
      await cpus.kill(Math.floor(Math.random() * opts.cpus));
      nextKill = now + jitter();
    }
    if (now >= nextSwap) {
      set.swapRandomInner();
      nextSwap = now + SWAP_EVERY_MS;
    }
    if (now >= nextVerify) {
      await verification.pauseAndVerify();
      nextVerify = Date.now() + opts.verifyEveryMs;
    }
    if (now >= nextProgress) {
      log(progressLine(f, (Date.now() - t0) / 1000));
      nextProgress = now + opts.progressEveryMs;
    }
  }
}
