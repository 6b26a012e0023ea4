import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Whether a thread of this process still exists, asked of the operating
 * system, so that a CPU worker that was terminated, crashed or aborted is
 * known to be gone without anybody marking it dead.
 *
 * Every Node worker is an OS thread. On Linux a thread names itself through
 * /proc/thread-self (its task id) and /proc/thread-self/stat (its start time,
 * field 22, in clock ticks since boot). Another thread asks
 * /proc/self/task/<tid>/stat: no such file means the thread has exited. The
 * start time guards against task-id reuse: a new thread that got the same id
 * has a later start time.
 *
 * The answer is only ever "gone" for a thread that has exited: a worker whose
 * terminate() is under way still exists until its isolate has stopped, so no
 * lock is taken over while its owner may still write (see rcu/domain.ts).
 * A thread counts as exited once it is in the kernel's exit path (do_exit:
 * PF_EXITING in its flags, or a zombie): it runs no code of its own any more,
 * but stays listed until the kernel releases it, which on a loaded machine
 * may be many milliseconds after its worker's terminate() resolved (the
 * thread is joined in the middle of do_exit).
 * Where /proc is not there (another OS), the identity is 0 and every thread
 * counts as alive: deaths are then known only from QuiescenceDomain.markDead,
 * which the worker runtime calls when it sees a CPU worker exit.
 */
export interface ThreadIdentity {
  /** OS task id, 0 when unknown. */
  readonly tid: number;
  /** Start time in clock ticks since boot (low 31 bits), 0 when unknown. */
  readonly start: number;
}

const UNKNOWN: ThreadIdentity = { tid: 0, start: 0 };
let self: ThreadIdentity | null = null;

/** The identity of the calling thread (read once per thread: a module is per isolate). */
export function selfIdentity(): ThreadIdentity {
  if (self === null) {
    try {
      const link = readlinkSync('/proc/thread-self');
      const tid = Number(link.slice(link.lastIndexOf('/') + 1));
      const start = startTimeOf(readFileSync('/proc/thread-self/stat', 'latin1'));
      self = Number.isInteger(tid) && tid > 0 && start >= 0 ? { tid, start } : UNKNOWN;
    } catch {
      self = UNKNOWN;
    }
  }
  return self;
}

/** The fields of a stat line from field 3 (state) on: after the parenthesised command name, which may hold spaces. */
function fieldsOf(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of a stat line (fields[19]): the start time. */
function startTimeOf(stat: string): number {
  const v = Number(fieldsOf(stat)[19]);
  return Number.isFinite(v) ? v % 2 ** 31 : -1;
}

/** The task is exiting (include/linux/sched.h), in the flags of field 9. */
const PF_EXITING = 0x4;

/**
 * Whether a thread's stat line (/proc/<pid>/task/<tid>/stat) shows the
 * thread started at `start` still running its own code: not another thread
 * that got the same id later, not exiting (PF_EXITING: in do_exit), not a
 * zombie or dead task.
 */
export function statShowsAlive(stat: string, start: number): boolean {
  const fields = fieldsOf(stat);
  if (startTimeOf(stat) !== start) return false;
  const state = fields[0];
  if (state === 'Z' || state === 'X' || state === 'x') return false;
  return (Number(fields[6]) & PF_EXITING) === 0;
}

/**
 * false when the thread `tid` started at `start` has exited (or is exiting);
 * true when it still runs, or when the OS cannot tell (identity unknown,
 * /proc absent or unreadable).
 */
export function threadAlive(tid: number, start: number): boolean {
  if (tid <= 0) return true;
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
  } catch (e) {
    // ESRCH: the task was released between the open and the read.
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ESRCH';
  }
  return statShowsAlive(stat, start);
}
