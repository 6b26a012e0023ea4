/**
 * Per-CPU throughput of a lookup-heavy program at 1 and 2 CPUs: a HASH of
 * 64 Ki keys (4-byte keys and values), every event one lookup. Lookups take
 * no lock, so two CPUs should each run about as fast as one alone (on a
 * machine with two idle cores).
 *
 *   node examples/dist/lookup-scaling.js [durationMs] [keys]
 */
import { BPF_ANY, createMap } from '@rightsize/engine';
import { Machine, type RunResult } from '@rightsize/workers';
import { fmt, table } from './support/format.js';
import { isMain } from './support/main.js';

export interface LookupScalingOptions {
  durationMs?: number;
  keys?: number;
  cpuCounts?: number[];
  log?: (line: string) => void;
}

export async function main(opts: LookupScalingOptions = {}): Promise<Map<number, RunResult>> {
  const { durationMs = 2000, keys = 65536, cpuCounts = [1, 2], log = console.log } = opts;
  const results = new Map<number, RunResult>();
  const rows: (string | number)[][] = [];
  for (const cpus of cpuCounts) {
    const machine = await Machine.start({ cpus });
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: keys });
    const value = new Uint8Array(4);
    for (let k = 0; k < keys; k++) m.updateU32(k, value, BPF_ANY);
    try {
      const r = await machine.run(new URL('./programs/lookups.js', import.meta.url), {
        maps: { m },
        params: { keys },
        durationMs,
        warmupIterations: 200_000,
      });
      if (r.error) throw new Error(`CPU ${r.error.cpu}: ${r.error.message}`);
      results.set(cpus, r);
      for (const c of r.cpus) {
        const lat = c.latency.lookupU32;
        rows.push([cpus, c.cpu, Math.round(c.opsPerSec), Math.round(lat?.p50 ?? 0), Math.round(lat?.p99 ?? 0), c.results.lookupU32?.OK === c.ops.lookupU32 ? 'all OK' : 'MISSES']);
      }
      rows.push([cpus, 'all', Math.round(r.total.opsPerSec), '', '', '']);
    } finally {
      await machine.close();
      m.destroy();
    }
  }
  log(`lookups in a HASH of ${fmt(keys)} keys, ${fmt(durationMs)} ms per run`);
  for (const line of table(['cpus', 'cpu', 'lookups/s', 'p50 ns', 'p99 ns', 'results'], rows)) log(line);
  return results;
}

if (isMain(import.meta.url)) {
  const [durationMs, keys] = process.argv.slice(2).map(Number);
  await main({ ...(durationMs ? { durationMs } : {}), ...(keys ? { keys } : {}) });
}
