import { MAX_CPUS } from './spec/map-spec.js';

/**
 * Which "CPU" this thread is playing right now.
 *
 * The kernel distinguishes a BPF program running on a CPU from a syscall made
 * by userspace: per-CPU maps show a program its own CPU's value and show
 * userspace every CPU's value; an LRU lookup from a program sets the reference
 * bit and one from userspace does not. The worker runtime sets the CPU id
 * around a program's run; everything else (the main thread, the agent, a test)
 * is userspace. A module-level variable is per thread (each worker has its own
 * module instance), so this is a thread-local.
 */
let cpu = -1;

/** The CPU id the current thread is running a program on, or -1 for userspace. */
export function currentCpu(): number {
  return cpu;
}

/**
 * Called by the program runtime: from now on this thread is CPU `id`. CPU
 * ids are quiescence slots and lock owners: an id past the CPU slots would
 * alias a userspace thread's slot, so it is refused.
 */
export function enterCpu(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= MAX_CPUS) throw new RangeError(`CPU id must be an integer in 0..${MAX_CPUS - 1}, got ${String(id)}`);
  cpu = id;
}

/** Called by the program runtime when the program stops: back to userspace. */
export function exitCpu(): void {
  cpu = -1;
}
