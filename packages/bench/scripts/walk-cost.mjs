/**
 * What the stable walk (scan: a Redis-SCAN reverse-binary cursor, every key
 * present throughout returned at least once across resizes) costs beside
 * hash_resize's best-effort walks (getNextKey, kernel semantics, and
 * lookupBatch), on a quiet map: ns per key returned, the median of `rounds`
 * whole walks, each kind in turn. Run it alone (benchmarks lie when two run
 * at once on 2 cores):
 *
 *   flock /tmp/bench.lock node packages/bench/scripts/walk-cost.mjs [entries] [rounds]
 *
 * The walks under resizes (skips, repeats) are measured by the sockmap
 * scenario and the engine's resize-dynamics test; this is their price.
 */
import { createMap } from '../../engine/dist/index.js';

const entries = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 5);
if (!Number.isInteger(entries) || entries < 1 || entries > 1 << 24) throw new RangeError(`entries must be an integer in 1..2^24, got ${process.argv[2]}`);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new RangeError(`rounds must be an integer in 1..100, got ${process.argv[3]}`);

const map = createMap({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: entries * 2, nCpus: 1 });
const v = new Uint8Array(4);
for (let k = 0; k < entries; k++) if (map.updateU32(k, v) !== 0) throw new Error(`insert ${k} failed`);

/** Each walk returns how many keys it gave (a walk that did not see every key is a bug here: the map is quiet). */
const walks = {
  'scan (stable), 64 per call': () => {
    let n = 0;
    let cursor = 0;
    do {
      const r = map.scan(cursor, 64);
      n += r.count;
      cursor = r.cursor;
    } while (cursor !== 0);
    return n;
  },
  'getNextKey (best effort)': () => {
    let n = 0;
    const next = new Uint8Array(4);
    let key = null;
    while (map.getNextKey(key, next) === 0) {
      n++;
      key = key === null ? new Uint8Array(4) : key;
      key.set(next);
    }
    return n;
  },
  'lookupBatch (best effort), 64 per call': () => {
    let n = 0;
    let cursor = null;
    for (;;) {
      const r = map.lookupBatch(cursor, 64);
      n += r.count;
      if (r.cursor === null) return n;
      cursor = r.cursor;
    }
  },
};

const times = Object.fromEntries(Object.keys(walks).map((k) => [k, []]));
for (let round = 0; round < rounds + 1; round++) {
  for (const [name, walk] of Object.entries(walks)) {
    const t0 = process.hrtime.bigint();
    const n = walk();
    const ns = Number(process.hrtime.bigint() - t0);
    if (n !== entries) throw new Error(`${name} returned ${n} keys of ${entries} on a quiet map`);
    if (round > 0) times[name].push(ns / n); // round 0 warms the code up
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const base = median(times['getNextKey (best effort)']);
console.log(`hash_resize walks over ${entries.toLocaleString('en-US')} entries (${map.stats().buckets} buckets), median of ${rounds}, Node ${process.version}:`);
console.log('| walk | ns per key | vs getNextKey |');
console.log('| --- | ---: | ---: |');
for (const name of Object.keys(walks)) console.log(`| ${name} | ${median(times[name]).toFixed(0)} | ${(median(times[name]) / base).toFixed(2)}x |`);
map.destroy();
