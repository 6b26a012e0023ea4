/**
 * Two CPUs count packets per flow in one shared hash map, as an XDP program
 * does on every core at once. Prints what each CPU did (helper calls, ops/s,
 * results by errno) and the final map contents.
 *
 *   pnpm demo                 (builds, then runs this)
 *   node examples/dist/count-flows.js [packetsPerCpu] [flows]
 */
import { createMap } from '@rightsize/engine';
import { Machine, type RunResult } from '@rightsize/workers';
import { BYTES_AT, FLOW_KEY_SIZE, FLOW_VALUE_SIZE, PACKETS_AT, describeFlow } from './programs/flow.js';
import { byErrno, fmt, table } from './support/format.js';
import { isMain } from './support/main.js';

export interface CountFlowsOptions {
  cpus?: number;
  packetsPerCpu?: number;
  flows?: number;
  /** Where the report goes (default console.log). */
  log?: (line: string) => void;
}

export interface CountFlowsOutcome {
  result: RunResult;
  /** Flow -> [packets, bytes], from the map after the run. */
  counts: Map<string, [number, number]>;
}

export async function main(opts: CountFlowsOptions = {}): Promise<CountFlowsOutcome> {
  const { cpus = 2, packetsPerCpu = 500_000, flows = 16, log = console.log } = opts;
  const machine = await Machine.start({ cpus });
  // Created after Machine.start: the map joins the machine's quiescence domain.
  const map = createMap({ type: 'hash', keySize: FLOW_KEY_SIZE, valueSize: FLOW_VALUE_SIZE, maxEntries: 1024 });
  try {
    const result = await machine.run(new URL('./programs/count-flows.js', import.meta.url), {
      maps: { flows: map },
      params: { flows },
      iterations: packetsPerCpu,
    });
    if (result.error) throw new Error(`CPU ${result.error.cpu} failed at packet ${result.error.iteration}: ${result.error.message}`);

    log(`${cpus} CPUs, ${fmt(packetsPerCpu)} packets each over ${flows} flows (ops: helper calls)`);
    log('');
    for (const line of table(
      ['cpu', 'packets', 'ops', 'ops/s', 'atomicAdd results', 'update results'],
      result.cpus.map((c) => [c.cpu, c.iterations, Object.values(c.ops).reduce((a, b) => a + b, 0), Math.round(c.opsPerSec), byErrno(c.results.atomicAdd), byErrno(c.results.update)]),
    ))
      log(line);
    log('');

    const counts = new Map<string, [number, number]>();
    for (const key of map.keys()) {
      const v = new DataView(map.lookup(key)!.buffer);
      counts.set(describeFlow(key), [v.getUint32(PACKETS_AT, true), v.getUint32(BYTES_AT, true)]);
    }
    const rows = [...counts].sort((a, b) => b[1][0] - a[1][0]);
    const shown = rows.slice(0, 10);
    for (const line of table(
      ['flow', 'packets', 'bytes'],
      shown.map(([f, [p, b]]) => [f, p, b]),
    ))
      log(line);
    if (rows.length > shown.length) log(`... and ${rows.length - shown.length} more flows`);
    const counted = rows.reduce((a, [, [p]]) => a + p, 0);
    log('');
    log(`${counts.size} flows in the map; ${fmt(counted)} packets counted of ${fmt(cpus * packetsPerCpu)} sent`);
    return { result, counts };
  } finally {
    await machine.close();
    map.destroy();
  }
}

if (isMain(import.meta.url)) {
  const [packets, flows] = process.argv.slice(2).map(Number);
  await main({ ...(packets ? { packetsPerCpu: packets } : {}), ...(flows ? { flows } : {}) });
}
