/**
 * What every benchmark program reads from ctx.params: the loop's shape. The
 * same shape drives rightsize maps, the references and the empty baseline,
 * so that their figures differ only by the operations inside the loop.
 */
export interface LoopParams {
  /** The key sequence (u32, over a SharedArrayBuffer made once per suite): every CPU walks all of it. */
  keys: SharedArrayBuffer;
  /**
   * 'lookup': one lookup per iteration; 'mixer': one lookup per iteration and
   * an update every `mixer`-th iteration (the talk's loop); 'update': one
   * update per iteration (the full-map benchmark).
   */
  loop: 'lookup' | 'mixer' | 'update';
  /** Iterations between updates for 'mixer' (1 = every iteration). */
  mixer: number;
  /** Iterations per event: the Machine's per-event work (stop flag, quiescent point) is paid once per batch. */
  batch: number;
  /** Value bytes. */
  valueSize: number;
  /** Added to every key (the full suite walks keys that are not in the map). */
  keyBase: number;
}

/** What a benchmark program's teardown returns: its CPU's counts over the measured events. */
export interface LoopTally {
  lookups: number;
  /** Lookups that found nothing (a loop over present keys must have none). */
  misses: number;
  updates: number;
  /** Update results by errno name ('OK', 'EBUSY', 'E2BIG', ...). */
  results: Record<string, number>;
  /** CPU time the thread got over the measured events (null where it cannot be read). */
  cpuNs: number | null;
}
