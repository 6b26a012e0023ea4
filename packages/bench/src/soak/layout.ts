/**
 * The words the soak's main thread and its CPU workers share.
 *
 * Control (Int32Array): [STOP] 1 ends the run; [PAUSE] the pause epoch (0
 * while running): a CPU that sees it acknowledges in ACK + cpu, goes offline
 * and waits until PAUSE is 0 again; [NEXT_STAMP + cpu] the next stamp of
 * CPU cpu (kept across the incarnations of a CPU, so stamps never repeat).
 *
 * Counters (Float64Array): one region of COUNTER_SLOTS doubles per CPU
 * (256 bytes, so CPUs never share a cache line), written only by the CPU's
 * current worker, read by the main thread for progress and the report.
 *
 * Ledger (Int32Array), for the maps whose entries the soak never deletes at
 * random: per map and CPU, LEDGER_KEYS committed stamps (written after an
 * update returned) and the write in flight (key index and stamp, written
 * before the update), so that after a CPU's death the main thread knows what
 * must still be there.
 */
export const STOP = 0;
export const PAUSE = 1;
export const ACK = 16;
export const NEXT_STAMP = ACK + 128;
export const CONTROL_WORDS = NEXT_STAMP + 128;

export const COUNTERS = [
  'ops',
  'lookups',
  'updates',
  'deletes',
  'batches',
  'resizeCalls',
  'ok',
  'ebusy',
  'e2big',
  'enomem',
  'enoent',
  'eexist',
  'otherErrno',
  'tornReads',
  'inputsTried',
  'inputsRefused',
  'unexpectedErrors',
  'ledgerWrites',
  'quiescentPoints',
  'lockTimeouts',
] as const;
export type Counter = (typeof COUNTERS)[number];
export const COUNTER_SLOTS = 32;
export const counterIndex = Object.fromEntries(COUNTERS.map((c, i) => [c, i])) as Record<Counter, number>;

export const LEDGER_KEYS = 16;
/** Ledger words per (map, CPU): the committed stamps, then [in-flight key index, in-flight stamp]. */
export const LEDGER_STRIDE = LEDGER_KEYS + 2;

/** The key of ledger entry j of CPU cpu in a hash map (far above the keys random operations use). */
export function ledgerHashKey(cpu: number, j: number): number {
  return 0x40000000 + cpu * LEDGER_KEYS + j;
}
