import type { BpfMap } from '@rightsize/engine';
import type { SweepFn } from '@rightsize/workers';

export interface ExpireParams {
  /** Entries not seen for this long are removed. */
  maxIdleUs: number;
}

/**
 * A sweep module: the agent calls its default export every few ms with the
 * run's ktime. Removes connections idle for more than maxIdleUs (value bytes
 * 4..7: last seen, µs) and returns how many it removed.
 */
const expireFlows: SweepFn<ExpireParams> = (map: BpfMap, params: ExpireParams, nowNs: number): number => {
  const cutoff = Math.floor(nowNs / 1000) - params.maxIdleUs;
  const idle: Uint8Array[] = [];
  for (const key of map.keys()) {
    const v = map.lookup(key);
    if (v && new DataView(v.buffer, v.byteOffset).getUint32(4, true) < cutoff) idle.push(key);
  }
  let removed = 0;
  for (const key of idle) if (map.delete(key) === 0) removed++;
  return removed;
};
export default expireFlows;
