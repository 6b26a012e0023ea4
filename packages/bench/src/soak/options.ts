import { availableParallelism } from 'node:os';

/** What a soak run does: how long, on how many CPUs, how often it kills, verifies and reports. */
export interface SoakOptions {
  /** Length of the run. */
  seconds: number;
  /** CPU workers (default: the machine's cores). */
  cpus: number;
  /** Mean time between two CPU kills (0: no kills). */
  killEveryMs: number;
  /** Time between two pauses that verify every map. */
  verifyEveryMs: number;
  /** Time between two progress lines. */
  progressEveryMs: number;
  /** One operation in this many is a hostile input. */
  hostileEvery: number;
  seed: number;
}

export function soakDefaults(over: Partial<SoakOptions> = {}): SoakOptions {
  return {
    seconds: 60,
    cpus: availableParallelism(),
    killEveryMs: 4000,
    verifyEveryMs: 5000,
    progressEveryMs: 5000,
    hostileEvery: 97,
    seed: Date.now() & 0x7fffffff,
    ...over,
  };
}
