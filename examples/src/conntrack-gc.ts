/**
 * The control plane at work: two CPUs track connections in a HASH while the
 * agent thread garbage-collects idle ones every 10 ms and samples the map's
 * stats every 25 ms. Without the collector the table fills and new
 * connections get -E2BIG; with it, the entry count stays bounded.
 *
 *   node examples/dist/conntrack-gc.js
 */
import { createMap } from '@rightsize/engine';
import { Machine, type RunResult } from '@rightsize/workers';
import { byErrno, fmt, table } from './support/format.js';
import { isMain } from './support/main.js';

export interface ConntrackOptions {
  durationMs?: number;
  maxEntries?: number;
  newEveryUs?: number;
  maxIdleUs?: number;
  log?: (line: string) => void;
}

export async function main(opts: ConntrackOptions = {}): Promise<{ without: RunResult; withGc: RunResult }> {
  const { durationMs = 500, maxEntries = 2048, newEveryUs = 50, maxIdleUs = 20_000, log = console.log } = opts;
  const machine = await Machine.start({ cpus: 2 });
  const program = new URL('./programs/conntrack.js', import.meta.url);
  const params = { newEveryUs };
  try {
    log(`2 CPUs each open a connection every ${newEveryUs} µs; a HASH of ${fmt(maxEntries)} entries; ${fmt(durationMs)} ms`);
    log('');

    const plain = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries });
    const without = await machine.run(program, { maps: { conntrack: plain }, params, durationMs });
    log(`without a collector: updates ${byErrno(without.total.results.updateU32)}; ${plain.stats().entries} entries at the end`);
    plain.destroy();

    const conntrack = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries });
    const withGc = await machine.run(program, {
      maps: { conntrack },
      params,
      durationMs,
      agent: {
        sample: { maps: ['conntrack'], everyMs: 25 },
        sweep: { map: 'conntrack', everyMs: 10, module: new URL('./programs/expire-flows.js', import.meta.url), params: { maxIdleUs } },
      },
    });
    const gc = withGc.agent!;
    log(`with the agent expiring entries idle > ${fmt(maxIdleUs / 1000)} ms every 10 ms: updates ${byErrno(withGc.total.results.updateU32)}`);
    log(`  ${gc.sweeps} sweeps removed ${fmt(gc.swept)} entries${gc.errors.length ? `; errors: ${gc.errors.join('; ')}` : ''}`);
    log('');
    const rows = withGc.series!.map((p) => [Math.round(p.t / 1e6), p.stats.entries, '#'.repeat(Math.round((40 * p.stats.entries) / maxEntries))]);
    for (const line of table(['t ms', 'entries', `of ${fmt(maxEntries)}`], rows)) log(line);
    conntrack.destroy();
    return { without, withGc };
  } finally {
    await machine.close();
  }
}

if (isMain(import.meta.url)) await main();
