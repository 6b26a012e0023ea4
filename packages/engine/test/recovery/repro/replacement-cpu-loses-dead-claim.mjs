/**
 * Reproduction (issue 18, open defect: hash_resize's migration claims and the liveness check):
 * a migration batch claimed by a CPU that dies unmarked is never taken over,
 * so the resize never finishes: the map stays in state 'resizing' for good
 * and grow()/shrink() answer -EBUSY, so it never resizes again (its memory
 * no longer follows its entries). Two causes, one per run mode:
 *
 *  - `node replacement-cpu-loses-dead-claim.mjs 0`: the replacement runs as
 *    CPU 0 (another slot). RecoveryLog.deadClaim looks only at records that
 *    RecoveryLog.existing returns, and existing() skips every slot whose
 *    death was not noticed yet (domain.slotSawDeath). With no markDead, the
 *    death is noticed only when someone asks isDeadOwner about that slot,
 *    and deadClaim is the one that should ask: nobody does. (Opening every
 *    record in deadClaim, `this.views[slot] ?? this.open(slot, false)`,
 *    fixes this mode: tried.)
 *  - `node replacement-cpu-loses-dead-claim.mjs` (or `1`): the replacement
 *    runs as CPU 1 again (the case: a CPU started after the death on
 *    the same id). Its cpuOnline notices the death, but the claim lives in
 *    the redo record of the slot, which the replacement now owns: its first
 *    migrateBatch (log.prepare, then rec.claim) writes its own claim over
 *    the dead one's. prepare() settles a foreign record only when its value
 *    write is ACTIVE; it does not look at the claim. The dead batch is lost
 *    even with the fix above.
 *
 * Run after building the engine, from the repository root:
 *   node packages/engine/test/recovery/repro/replacement-cpu-loses-dead-claim.mjs [cpu]
 * Prints the map's state and exits 1 when the defect shows.
 */
import { Worker } from 'node:worker_threads';
import { QuiescenceDomain, createMap } from '../../../dist/index.js';

const REPLACEMENT_CPU = Number(process.argv[2] ?? 1);
const domain = QuiescenceDomain.create();
const m = createMap(
  { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 64, resize: { driver: 'help', ebusyPolicy: 'fail', initialBuckets: 8, migrateBatch: 2, autoResize: false } },
  { domain },
);
const key = (n) => new Uint8Array(new Uint32Array([n]).buffer);
for (let k = 0; k < 6; k++) m.update(key(k), new Uint8Array(8).fill(k));
// grow() with the help driver migrates the first batch (old buckets 0..1) and returns.
if (m.grow() !== 0) throw new Error('grow failed');

function cpuWorker(file, data) {
  const w = new Worker(new URL(file, import.meta.url), { workerData: data });
  w.on('error', (e) => console.error('worker error', e));
  return w;
}
const reply = (w) => new Promise((resolve) => w.once('message', resolve));

// CPU 1 claims the next batch (old buckets 2..3), migrates half of it, and is terminated. Nobody marks it dead.
const a = cpuWorker('../fixtures/dying-cpu.mjs', { handle: m.handle, cpu: 1 });
a.postMessage({ op: 'half-batch' });
console.log('dead CPU claimed', await reply(a));
await a.terminate();

// A new CPU writes (CPU 1: the same domain slot and redo record as the dead one): each write helps the resize.
const b = new Worker(
  `
  const { parentPort, workerData } = require('node:worker_threads');
  import(workerData.engine).then(({ attachMap, enterCpu }) => {
    const m = attachMap(workerData.handle);
    enterCpu(workerData.cpu);
    m.domain.cpuOnline(workerData.cpu);
    const rcs = [];
    for (let i = 0; i < 50; i++) rcs.push(m.update(new Uint8Array(new Uint32Array([i % 6]).buffer), new Uint8Array(8).fill(i % 6)));
    parentPort.postMessage({ rcs: rcs.join(',') });
  });
  `,
  { eval: true, workerData: { handle: m.handle, cpu: REPLACEMENT_CPU, engine: new URL('../../../dist/index.js', import.meta.url).href } },
);
console.log(`replacement CPU ${REPLACEMENT_CPU}, 50 writes:`, (await reply(b)).rcs);
await b.terminate();

// The main thread writes for two seconds: the resize should be long finished.
// (Rewrites of existing keys and inserts of new ones, each new key deleted again.)
const until = Date.now() + 2000;
const rcs = new Set();
for (let i = 0; Date.now() < until; i++) {
  rcs.add(m.update(key(i % 6), new Uint8Array(8).fill(i % 6)));
  const fresh = 100 + (i % 32);
  const rc = m.update(key(fresh), new Uint8Array(8));
  rcs.add(rc);
  if (rc === 0) m.delete(key(fresh));
}
const s = m.stats();
console.log('main thread after 2 s of writes: results', [...rcs].map(String).join(' '), '(-16 = EBUSY), grow():', m.grow(), ', state', s.state, JSON.stringify(s.resizing));
m.destroy();
if (s.state === 'resizing') {
  console.log(`DEFECT: the resize never finishes: the dead CPU's claimed batch was never taken over (replacement on CPU ${REPLACEMENT_CPU})`);
  process.exitCode = 1;
} else console.log('ok: the resize finished');
