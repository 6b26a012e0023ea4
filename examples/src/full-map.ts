/**
 * A HASH map is sized when it is created. Two CPUs each see 1,500 new flows;
 * the map holds 1,000: the inserts past the 1,000th fail with -E2BIG, and the
 * counts say exactly how many. Then the CPUs update flows the full map
 * already holds: replacing an existing key never needs a free element, so
 * every update succeeds.
 *
 *   node examples/dist/full-map.js
 */
import { BPF_ANY, BPF_NOEXIST, createMap } from '@rightsize/engine';
import { Machine, type RunResult } from '@rightsize/workers';
import { FLOW_KEY_SIZE, FLOW_VALUE_SIZE } from './programs/flow.js';
import { byErrno, fmt, table } from './support/format.js';
import { isMain } from './support/main.js';

export interface FullMapOptions {
  perCpu?: number;
  maxEntries?: number;
  log?: (line: string) => void;
}

export async function main(opts: FullMapOptions = {}): Promise<{ inserts: RunResult; updates: RunResult }> {
  const { perCpu = 1500, maxEntries = 1000, log = console.log } = opts;
  const machine = await Machine.start({ cpus: 2 });
  const flows = createMap({ type: 'hash', keySize: FLOW_KEY_SIZE, valueSize: FLOW_VALUE_SIZE, maxEntries });
  const program = new URL('./programs/insert-flows.js', import.meta.url);
  const report = (title: string, r: RunResult) => {
    log(title);
    for (const line of table(
      ['cpu', 'updates', 'results'],
      r.cpus.map((c) => [c.cpu, c.ops.update ?? 0, byErrno(c.results.update)]),
    ))
      log(line);
    log(`all CPUs: ${byErrno(r.total.results.update)}; entries in the map: ${flows.stats().entries} of ${maxEntries}`);
    log('');
  };
  try {
    const inserts = await machine.run(program, { maps: { flows }, params: { perCpu, flags: BPF_NOEXIST }, iterations: perCpu });
    report(`2 CPUs insert ${fmt(perCpu)} new flows each into a HASH of maxEntries ${fmt(maxEntries)}:`, inserts);
    log(`expected: ${fmt(maxEntries)} OK and ${fmt(2 * perCpu - maxEntries)} E2BIG (2 x ${fmt(perCpu)} - ${fmt(maxEntries)}), whichever CPU got there first`);
    log('');
    const present = [...flows.keys()].slice(0, 500);
    const updates = await machine.run(program, { maps: { flows }, params: { keys: present, flags: BPF_ANY }, iterations: perCpu });
    report(`Then both update ${present.length} flows the full map holds, ${fmt(perCpu)} times each CPU:`, updates);
    return { inserts, updates };
  } finally {
    await machine.close();
    flows.destroy();
  }
}

if (isMain(import.meta.url)) await main();
