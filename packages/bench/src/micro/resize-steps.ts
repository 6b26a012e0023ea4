import { loadavg } from 'node:os';
import { BPF_ANY, createMap, enterCpu, exitCpu, type BpfMap, type HashResizeMap } from '@rightsize/engine';
import { keySequence } from '../harness/keys.js';
import { fillMap, steadyBuckets } from '../suites/fill.js';
import { arg, bestNsPerOp } from './timing.js';

/**
 * What a resize costs hash_resize, step by step: one thread, the built
 * engine called directly (docs/performance.md quotes this output).
 *
 *   node packages/bench/dist/micro/resize-steps.js [--entries 65536] [--ops 2200000] [--best 5] [--resizes 16]
 *
 * Part 1, the CPUs' side: the mixer-10 loop of the maps suite (a lookup per
 * iteration, an update every 10th) and lookups alone, in ns per iteration,
 * on a HASH and on a hash_resize map idle, then frozen in the middle of a
 * grow (half its old buckets relinked, the rest not: the state a CPU meets
 * while the resizer works). The map is the resize suite's: 4x the entries
 * as its bound, starting at the table that holds them below the grow
 * watermark. The 'inline' driver keeps the resize frozen (nobody else
 * migrates), and its dead-driver check is what a write pays extra here.
 *
 * Part 2, the resizer's side: a resize of that map split into begin (the
 * next bucket array allocated and published), migrate (every old bucket
 * relinked), finish (the switch, the old array retired), in ns per entry,
 * the median over alternate grows and shrinks.
 *
 * Run it only under `flock /tmp/bench.lock`: anything else on the cores shows.
 */

let sink = 0;

interface Loop {
  map: BpfMap;
  keys: Uint32Array;
  out: Uint8Array;
  value: Uint8Array;
}

function mixer10(l: Loop, ops: number): void {
  const { map, keys, out, value } = l;
  const mask = keys.length - 1;
  let s = 0;
  for (let i = 0; i < ops; i++) {
    const k = keys[i & mask]!;
    s += map.lookupU32Into(k, out);
    if (i % 10 === 9) s += map.updateU32(k, value, BPF_ANY);
  }
  sink ^= s;
}

function lookups(l: Loop, ops: number): void {
  const { map, keys, out } = l;
  const mask = keys.length - 1;
  let s = 0;
  for (let i = 0; i < ops; i++) s += map.lookupU32Into(keys[i & mask]!, out);
  sink ^= s;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >>> 1]!;
}

function main(): void {
  const n = Number(arg('--entries', '65536'));
  const ops = Number(arg('--ops', '2200000'));
  const reps = Number(arg('--best', '5'));
  const resizes = Number(arg('--resizes', '16'));
  if (!Number.isInteger(Math.log2(n))) throw new RangeError(`--entries must be a power of two, got ${n}`);
  const keys = new Uint32Array(keySequence(n, 'shuffled', 1));
  const loopOn = (map: BpfMap): Loop => ({ map, keys, out: new Uint8Array(4), value: new Uint8Array([1, 2, 3, 4]) });
  const hash = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: n, nCpus: 1 });
  fillMap(hash, n);
  const resizeSpec = { type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 4 * n, nCpus: 1, resize: { initialBuckets: steadyBuckets(4 * n, n), autoResize: false, driver: 'inline' } } as const;
  const resize = createMap(resizeSpec) as HashResizeMap;
  fillMap(resize, n);

  // Program side: a CPU id is set, as in a BPF program. The resize below is
  // left half done on purpose; the 'inline' driver is this thread, so no one
  // else moves it on.
  enterCpu(0);
  const rows: [string, number, number][] = [];
  rows.push(['hash', bestNsPerOp(mixer10, loopOn(hash), ops, reps), bestNsPerOp(lookups, loopOn(hash), ops, reps)]);
  rows.push(['hash_resize idle', bestNsPerOp(mixer10, loopOn(resize), ops, reps), bestNsPerOp(lookups, loopOn(resize), ops, reps)]);
  if (resize.beginResize(1) !== 0) throw new Error('resize-steps: could not begin a grow');
  const batches = resize.cur.nb / resize.spec.resize.migrateBatch;
  resize.resizeStep(Math.max(1, Math.floor(batches / 2)));
  rows.push(['hash_resize, half-way through a grow', bestNsPerOp(mixer10, loopOn(resize), ops, reps), bestNsPerOp(lookups, loopOn(resize), ops, reps)]);
  if (resize.fut === null) throw new Error('resize-steps: the resize finished under the measurement');
  while (resize.resizeStep(1 << 20) > 0) {
    // finish it
  }
  exitCpu();

  console.log(`| ${n} entries (ns per iteration, best of ${reps} x ${ops}) | mixer 10 | lookups only |`);
  console.log('| --- | ---: | ---: |');
  for (const [name, m, l] of rows) console.log(`| ${name} | ${m.toFixed(1)} | ${l.toFixed(1)} |`);
  const idle = rows[1]!;
  const mid = rows[2]!;
  console.log(
    `\nhalf-way / idle: mixer 10 ${(idle[1] / mid[1]).toFixed(2)}, lookups ${(idle[2] / mid[2]).toFixed(2)} (throughput ratios); idle / hash: mixer 10 ${(rows[0]![1] / idle[1]).toFixed(2)}`,
  );

  const parts = { begin: [] as number[], migrate: [] as number[], finish: [] as number[] };
  for (let i = 0; i < resizes; i++) {
    const t0 = process.hrtime.bigint();
    if (resize.beginResize(i % 2 === 0 ? 2 : 1) !== 0) throw new Error(`resize-steps: could not begin resize ${i}`);
    const t1 = process.hrtime.bigint();
    resize.resizeStep(resize.cur.nb / resize.spec.resize.migrateBatch - 1);
    const t2 = process.hrtime.bigint();
    while (resize.resizeStep(1 << 20) > 0) {
      // the last batch, then the finish
    }
    const t3 = process.hrtime.bigint();
    parts.begin.push(Number(t1 - t0) / n);
    parts.migrate.push(Number(t2 - t1) / n);
    parts.finish.push(Number(t3 - t2) / n);
    resize.reclaim();
  }
  const b = median(parts.begin);
  const mg = median(parts.migrate);
  const f = median(parts.finish);
  console.log(`\n| a resize of ${n} entries (ns per entry, median of ${resizes}, grows and shrinks) | begin | migrate | finish | total |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(`| ${resizeSpec.resize.initialBuckets} <-> ${2 * resizeSpec.resize.initialBuckets} buckets | ${b.toFixed(1)} | ${mg.toFixed(1)} | ${f.toFixed(1)} | ${(b + mg + f).toFixed(1)} |`);
  console.log(
    `\nnode ${process.version}, ${process.arch}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}; sink ${sink & 1}`,
  );
  hash.destroy();
  resize.destroy();
}

main();
