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

/** CPU ids the shared words have room for (counters, ledger). */
export const MAX_CPUS = 128;

/** Where ledger map `li`'s words for CPU `cpu` start. */
export function ledgerBase(li: number, cpu: number): number {
  return (li * MAX_CPUS + cpu) * LEDGER_STRIDE;
}

/** The main thread's side of the shared words: it allocates them, hands them to every CPU worker, pauses and stops the CPUs, and reads their counters. */
export class SoakWords {
  readonly control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  private readonly ctl = new Int32Array(this.control);
  readonly countersSab = new SharedArrayBuffer(MAX_CPUS * COUNTER_SLOTS * 8);
  private readonly counters = new Float64Array(this.countersSab);
  readonly ledgerSab: SharedArrayBuffer;
  readonly ledger: Int32Array;

  constructor(
    ledgerMaps: number,
    private readonly cpus: number,
  ) {
    this.ledgerSab = new SharedArrayBuffer(Math.max(1, ledgerMaps) * MAX_CPUS * LEDGER_STRIDE * 4);
    this.ledger = new Int32Array(this.ledgerSab).fill(0);
  }

  /** A counter summed over the CPUs. */
  sum(name: Counter): number {
    let n = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) n += this.counters[cpu * COUNTER_SLOTS + counterIndex[name]]!;
    return n;
  }

  /** Asks every CPU to pause (epoch > 0) or to go on (0). */
  setPause(epoch: number): void {
    Atomics.store(this.ctl, PAUSE, epoch);
    Atomics.notify(this.ctl, PAUSE);
  }

  /** Whether CPU `cpu` has acknowledged pause `epoch`. */
  paused(cpu: number, epoch: number): boolean {
    return Atomics.load(this.ctl, ACK + cpu) === epoch;
  }

  /** Ends the run: every CPU leaves its loop (a paused one too). */
  stop(): void {
    Atomics.store(this.ctl, STOP, 1);
    this.setPause(0);
  }
}
