import { readFileSync } from 'node:fs';

/**
 * ns this thread has run on a CPU, from Linux's /proc/thread-self/schedstat
 * (its first field), or null where that file does not exist. Node 20 has no
 * per-thread CPU clock (process.threadCpuUsage came in Node 23). Read at the
 * start and the end of a measurement, it tells how much of the wall time the
 * thread actually ran: on a shared machine, much less than all of it.
 * Allocates (a read and a string): never on a hot path.
 */
export function threadCpuNs(): number | null {
  try {
    const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
    const ns = Number(text.slice(0, text.indexOf(' ')));
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}
