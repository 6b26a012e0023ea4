import { loadavg } from 'node:os';
import { BPF_ANY, createMap, enterCpu, exitCpu, xxh32U32, type BpfMap, type HashMap, type MapSpec } from '@rightsize/engine';
import { keySequence } from '../harness/keys.js';
import { UnsyncTable } from '../references/unsync-table.js';
import { fillMap, steadyBuckets } from '../suites/fill.js';
import { arg, bestNsPerOp } from './timing.js';

/**
 * Where a lookup's and an update's nanoseconds go: one thread, the built
 * engine called directly, each step of the hot path timed on its own over
 * the same map's buffers (see docs/performance.md, which quotes this output).
 *
 *   node packages/bench/dist/micro/lookup-steps.js [--keys 1024,65536] [--ops 2000000] [--best 7]
 *
 * Each figure is the best (lowest) of `best` runs of `ops` operations over
 * the keys in a shuffled order, in ns per operation including the loop
 * (the "loop" row is that loop alone). Every step is its own function with
 * its own loop, so each keeps its own JIT feedback (monomorphic), and every
 * result feeds a sink so nothing is optimised away.
 *
 * Run it only under `flock /tmp/bench.lock`: anything else on the cores shows.
 */

// The layout constants of maps/hash (table.ts, layout.ts): the steps below
// re-read the real map's buffers the way its lookup does.
const BUCKET_WORDS = 4;
const HEAD = 0;
const SEQ = 2;
const NEXT = 0;
const HASH = 1;

let sink = 0;

interface Subject {
  keys: Uint32Array;
  map: HashMap;
  /** The same keys in the other hash-family types (their lookups, program side). */
  lru: BpfMap;
  percpu: BpfMap;
  resize: BpfMap;
  buckets: Int32Array;
  mask: number;
  w: Int32Array;
  u8: Uint8Array;
  stride: number;
  keyOff: number;
  valOff: number;
  seed: number;
  out: Uint8Array;
  value: Uint8Array;
  hashes: Int32Array;
  native: Map<number, number>;
  unsync: UnsyncTable;
  unsyncOut: Int32Array;
  /** The engine's lookup written as one method (made on first use). */
  flatLookup?: FlatLookup;
  /** An open-addressing table of [seq, key, value, pad] slots (16 B), 2 slots per key: the inline-element floor. */
  open: Int32Array;
  openMask: number;
}

function subject(n: number): Subject {
  const map = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: n, nCpus: 1 }) as HashMap;
  fillMap(map, n);
  const t = map.table;
  const store = t.store;
  const layout = store.layout;
  const seed = (map as unknown as { seed: number }).seed;
  const keys = new Uint32Array(keySequence(n, 'shuffled', 1));
  const hashes = new Int32Array(n);
  for (let i = 0; i < n; i++) hashes[i] = xxh32U32(keys[i]!, seed) | 0;
  const native = new Map<number, number>();
  const unsync = new UnsyncTable(n, 4);
  const one = new Int32Array([0x01020304]);
  for (let k = 0; k < n; k++) {
    native.set(k, 0x01020304);
    unsync.update(k, one, BPF_ANY);
  }
  const slots = 2 ** Math.ceil(Math.log2(2 * n));
  const open = new Int32Array(new SharedArrayBuffer(slots * 16));
  const openMask = slots - 1;
  for (let k = 0; k < n; k++) {
    let i = (xxh32U32(k, seed) | 0) & openMask;
    while (open[i * 4 + 3] !== 0) i = (i + 1) & openMask;
    open[i * 4 + 1] = k;
    open[i * 4 + 2] = 0x01020304;
    open[i * 4 + 3] = 1;
  }
  const filled = (spec: MapSpec): BpfMap => {
    const m = createMap(spec);
    fillMap(m, n);
    return m;
  };
  return {
    keys,
    map,
    lru: filled({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: n, nCpus: 1 }),
    percpu: filled({ type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: n, nCpus: 2 }),
    // As the maps suite sizes it (suites/maps.ts): a bound of 4x the entries, buckets for the entries below the
    // grow watermark. The inline driver: no resizer thread (this thread, in a synchronous loop, answers none).
    resize: filled({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 4 * n, nCpus: 1, resize: { initialBuckets: steadyBuckets(4 * n, n), driver: 'inline' } }),
    buckets: t.buckets,
    mask: t.mask,
    w: store.words(0),
    u8: store.bytes(0),
    stride: layout.stride,
    keyOff: layout.keyOff,
    valOff: layout.valOff,
    seed,
    out: new Uint8Array(4),
    value: new Uint8Array([1, 8, 15, 22]),
    hashes,
    native,
    unsync,
    unsyncOut: new Int32Array(1),
    open,
    openMask,
  };
}

// ---- the steps (each loops over the shuffled keys `ops` times) ----

function stepLoop(s: Subject, ops: number): void {
  const keys = s.keys;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc = (acc + keys[p]!) | 0;
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepHash(s: Subject, ops: number): void {
  const { keys, seed } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= xxh32U32(keys[p]!, seed);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

/** The bucket's HEAD word, prehashed: the first cache miss. */
function stepBucket(s: Subject, ops: number): void {
  const { hashes, buckets, mask } = s;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= buckets[(hashes[p]! & mask) * BUCKET_WORDS + HEAD]!;
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

/** The two seqlock loads of the bucket's SEQ, prehashed (the bucket's miss included). */
function stepSeqAtomics(s: Subject, ops: number): void {
  const { hashes, buckets, mask } = s;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    const bi = (hashes[p]! & mask) * BUCKET_WORDS;
    const s1 = Atomics.load(buckets, bi + SEQ);
    acc ^= buckets[bi + HEAD]!;
    if (Atomics.load(buckets, bi + SEQ) !== s1) acc++;
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

/** The walk: bucket, then element (hash and key compare), prehashed, plain reads, no copy. */
function stepWalk(s: Subject, ops: number): void {
  const { hashes, keys, buckets, mask, w, stride, keyOff } = s;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    const h = hashes[p]!;
    const k = keys[p]! | 0;
    let e = buckets[(h & mask) * BUCKET_WORDS + HEAD]!;
    while (e >= 0) {
      const base = e * stride;
      if (w[base + HASH] === h && w[base + keyOff] === k) break;
      e = w[base + NEXT]!;
    }
    acc ^= e;
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

/** The walk plus the value copy (4 bytes, byte by byte into the caller's buffer): the unvalidated chained floor. */
function stepWalkCopy(s: Subject, ops: number): void {
  const { hashes, keys, buckets, mask, w, u8, stride, keyOff, valOff, out } = s;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    const h = hashes[p]!;
    const k = keys[p]! | 0;
    let e = buckets[(h & mask) * BUCKET_WORDS + HEAD]!;
    while (e >= 0) {
      const base = e * stride;
      if (w[base + HASH] === h && w[base + keyOff] === k) {
        const vb = (base + valOff) * 4;
        for (let j = 0; j < 4; j++) out[j] = u8[vb + j]!;
        break;
      }
      e = w[base + NEXT]!;
    }
    acc ^= e;
    if (++p === n) p = 0;
  }
  sink ^= acc ^ out[0]!;
}

/** The same, the value read as one word and stored as four bytes. */
function stepWalkWordCopy(s: Subject, ops: number): void {
  const { hashes, keys, buckets, mask, w, stride, keyOff, valOff, out } = s;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    const h = hashes[p]!;
    const k = keys[p]! | 0;
    let e = buckets[(h & mask) * BUCKET_WORDS + HEAD]!;
    while (e >= 0) {
      const base = e * stride;
      if (w[base + HASH] === h && w[base + keyOff] === k) {
        const v = w[base + valOff]!;
        out[0] = v;
        out[1] = v >>> 8;
        out[2] = v >>> 16;
        out[3] = v >>> 24;
        break;
      }
      e = w[base + NEXT]!;
    }
    acc ^= e;
    if (++p === n) p = 0;
  }
  sink ^= acc ^ out[0]!;
}

/** Walk + word copy validated by the bucket seqlock, SEQ read `atomics` times with Atomics.load (0: none, the second read through another view; 1: the second; 2: both). */
function makeSeqWalk(atomics: 0 | 1 | 2): (s: Subject, ops: number) => void {
  // Three separate closures, so each keeps its own feedback.
  if (atomics === 2)
    return (s, ops) => {
      const { hashes, keys, buckets, mask, w, stride, keyOff, valOff, out } = s;
      const n = hashes.length;
      let acc = 0;
      for (let i = 0, p = 0; i < ops; i++) {
        const h = hashes[p]!;
        const k = keys[p]! | 0;
        const bi = (h & mask) * BUCKET_WORDS;
        for (;;) {
          const s1 = Atomics.load(buckets, bi + SEQ);
          let e = buckets[bi + HEAD]!;
          let v = 0;
          while (e >= 0) {
            const base = e * stride;
            if (w[base + HASH] === h && w[base + keyOff] === k) {
              v = w[base + valOff]!;
              break;
            }
            e = w[base + NEXT]!;
          }
          if ((s1 & 1) === 0 && Atomics.load(buckets, bi + SEQ) === s1) {
            out[0] = v;
            out[1] = v >>> 8;
            out[2] = v >>> 16;
            out[3] = v >>> 24;
            acc ^= e;
            break;
          }
        }
        if (++p === n) p = 0;
      }
      sink ^= acc ^ out[0]!;
    };
  if (atomics === 1)
    return (s, ops) => {
      const { hashes, keys, buckets, mask, w, stride, keyOff, valOff, out } = s;
      const n = hashes.length;
      let acc = 0;
      for (let i = 0, p = 0; i < ops; i++) {
        const h = hashes[p]!;
        const k = keys[p]! | 0;
        const bi = (h & mask) * BUCKET_WORDS;
        for (;;) {
          const s1 = buckets[bi + SEQ]!;
          let e = buckets[bi + HEAD]!;
          let v = 0;
          while (e >= 0) {
            const base = e * stride;
            if (w[base + HASH] === h && w[base + keyOff] === k) {
              v = w[base + valOff]!;
              break;
            }
            e = w[base + NEXT]!;
          }
          if ((s1 & 1) === 0 && Atomics.load(buckets, bi + SEQ) === s1) {
            out[0] = v;
            out[1] = v >>> 8;
            out[2] = v >>> 16;
            out[3] = v >>> 24;
            acc ^= e;
            break;
          }
        }
        if (++p === n) p = 0;
      }
      sink ^= acc ^ out[0]!;
    };
  // The protocol the engine ships on x86-64: the validating read through a
  // second view of the same words (ChainedTable.seqCheck).
  return (s, ops) => {
    const { hashes, keys, buckets, mask, w, stride, keyOff, valOff, out } = s;
    const check = new Int32Array(buckets.buffer, buckets.byteOffset, buckets.length);
    const n = hashes.length;
    let acc = 0;
    for (let i = 0, p = 0; i < ops; i++) {
      const h = hashes[p]!;
      const k = keys[p]! | 0;
      const bi = (h & mask) * BUCKET_WORDS;
      for (;;) {
        const s1 = buckets[bi + SEQ]!;
        let e = buckets[bi + HEAD]!;
        let v = 0;
        while (e >= 0) {
          const base = e * stride;
          if (w[base + HASH] === h && w[base + keyOff] === k) {
            v = w[base + valOff]!;
            break;
          }
          e = w[base + NEXT]!;
        }
        if ((s1 & 1) === 0 && check[bi + SEQ] === s1) {
          out[0] = v;
          out[1] = v >>> 8;
          out[2] = v >>> 16;
          out[3] = v >>> 24;
          acc ^= e;
          break;
        }
      }
      if (++p === n) p = 0;
    }
    sink ^= acc ^ out[0]!;
  };
}

/**
 * The open-addressing / inline-element floor: one 16-byte slot [seq, key,
 * value, used] per probe, hashed with the same xxh32, validated by the
 * slot's own SEQ (one plain read, one Atomics.load): one cache miss a lookup.
 */
function stepOpenInline(s: Subject, ops: number): void {
  const { hashes, keys, open, openMask, out } = s;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    const k = keys[p]! | 0;
    let slot = hashes[p]! & openMask;
    for (;;) {
      const si = slot * 4;
      const s1 = open[si]!;
      const used = open[si + 3]!;
      const key = open[si + 1]!;
      const v = open[si + 2]!;
      if ((s1 & 1) !== 0 || Atomics.load(open, si) !== s1) continue;
      if (used === 0) break;
      if (key === k) {
        out[0] = v;
        out[1] = v >>> 8;
        out[2] = v >>> 16;
        out[3] = v >>> 24;
        acc ^= slot;
        break;
      }
      slot = (slot + 1) & openMask;
    }
    if (++p === n) p = 0;
  }
  sink ^= acc ^ out[0]!;
}

/**
 * The engine's program lookup written out by hand as one small class method:
 * the same guards (u32 key, out a Uint8Array big enough, map live), the hash,
 * the seqlock walk with two plain SEQ reads (the second through another view)
 * and the word copy, over the same buffers. What HashMap.lookupU32Into would
 * cost with no layering at all: the floor of the current layout.
 */
class FlatLookup {
  private readonly bk: Int32Array;
  private readonly check: Int32Array;
  private readonly destroyed = new Int32Array(2);
  private readonly closed = false;
  constructor(
    s: Subject,
    private readonly seed32 = s.seed | 0,
  ) {
    this.bk = s.buckets;
    this.check = new Int32Array(s.buckets.buffer, s.buckets.byteOffset, s.buckets.length);
    this.w = s.w;
    this.mask = s.mask;
    this.stride = s.stride;
    this.keyOff = s.keyOff;
    this.valOff = s.valOff;
  }
  private readonly w: Int32Array;
  private readonly mask: number;
  private readonly stride: number;
  private readonly keyOff: number;
  private readonly valOff: number;

  lookup(key: number, out: Uint8Array): number {
    if (key >>> 0 !== key || !(out instanceof Uint8Array) || out.length < 4 || this.destroyed[1] !== 0 || this.closed) throw new TypeError('bad lookup');
    const h = xxh32U32(key, this.seed32) | 0;
    const bk = this.bk;
    const w = this.w;
    const bi = (h & this.mask) * BUCKET_WORDS;
    const s1 = bk[bi + SEQ]!;
    if ((s1 & 1) !== 0) return -11;
    let e = bk[bi + HEAD]!;
    let v = 0;
    const stride = this.stride;
    const ko = this.keyOff;
    while (e >= 0) {
      const base = e * stride;
      if (w[base + HASH] === h && w[base + ko] === (key | 0)) {
        v = w[base + this.valOff]!;
        break;
      }
      e = w[base + NEXT]!;
    }
    if (this.check[bi + SEQ] !== s1) return -11;
    if (e < 0) return -2;
    out[0] = v;
    out[1] = v >>> 8;
    out[2] = v >>> 16;
    out[3] = v >>> 24;
    return 0;
  }
}

function stepFlatLookup(s: Subject, ops: number): void {
  const { keys, out } = s;
  const f = (s.flatLookup ??= new FlatLookup(s));
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= f.lookup(keys[p]!, out);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepTableLookup(s: Subject, ops: number): void {
  const { hashes, keys, out } = s;
  const t = s.map.table;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= t.lookupCopyWord(hashes[p]!, keys[p]! | 0, out, 0, 4);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepMapLookup(s: Subject, ops: number): void {
  const { keys, out, map } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= map.lookupU32Into(keys[p]!, out);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

// One function per map type (not one taking the map): each call site stays monomorphic, as in the suite's program loops.
function stepLruLookup(s: Subject, ops: number): void {
  const { keys, out, lru } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= lru.lookupU32Into(keys[p]!, out);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepPercpuLookup(s: Subject, ops: number): void {
  const { keys, out, percpu } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= percpu.lookupU32Into(keys[p]!, out);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepResizeLookup(s: Subject, ops: number): void {
  const { keys, out, resize } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= resize.lookupU32Into(keys[p]!, out);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepBuiltinMap(s: Subject, ops: number): void {
  const { keys, native } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    const v = native.get(keys[p]!);
    if (v !== undefined) acc ^= v;
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepUnsync(s: Subject, ops: number): void {
  const { keys, unsync, unsyncOut } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= unsync.lookupInto(keys[p]!, unsyncOut);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

// ---- update steps ----

/** Bucket lock and unlock as the engine's lock does them (CAS, then exchange), prehashed. */
function stepLockUnlock(s: Subject, ops: number): void {
  const { hashes, buckets, mask } = s;
  const n = hashes.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    const li = (hashes[p]! & mask) * BUCKET_WORDS + 1;
    acc ^= Atomics.compareExchange(buckets, li, 0, 7);
    acc ^= Atomics.exchange(buckets, li, 0);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

/** A write section: SEQ odd, one value word, SEQ even (two Atomics.add), prehashed, on the bucket only. */
function stepSeqWrite(s: Subject, ops: number): void {
  const { hashes, buckets, mask } = s;
  const n = hashes.length;
  for (let i = 0, p = 0; i < ops; i++) {
    const bi = (hashes[p]! & mask) * BUCKET_WORDS;
    Atomics.add(buckets, bi + SEQ, 1);
    buckets[bi + 3] = buckets[bi + 3]!;
    Atomics.add(buckets, bi + SEQ, 1);
    if (++p === n) p = 0;
  }
}

/** The same write section with plain increments of SEQ (what seqBegin/seqEnd do on x86-64, under the lock). */
function stepSeqWritePlain(s: Subject, ops: number): void {
  const { hashes, buckets, mask } = s;
  const n = hashes.length;
  for (let i = 0, p = 0; i < ops; i++) {
    const bi = (hashes[p]! & mask) * BUCKET_WORDS;
    buckets[bi + SEQ] = buckets[bi + SEQ]! + 1;
    buckets[bi + 3] = buckets[bi + 3]!;
    buckets[bi + SEQ] = buckets[bi + SEQ]! + 1;
    if (++p === n) p = 0;
  }
}

/** Atomics.notify on a word nobody waits on (what an unlock must not do blindly). */
function stepNotify(s: Subject, ops: number): void {
  const { buckets } = s;
  let acc = 0;
  for (let i = 0; i < ops; i++) acc ^= Atomics.notify(buckets, 3);
  sink ^= acc;
}

function stepMapUpdate(s: Subject, ops: number): void {
  const { keys, value, map } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= map.updateU32(keys[p]!, value, BPF_ANY);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

function stepBuiltinSet(s: Subject, ops: number): void {
  const { keys, native } = s;
  const n = keys.length;
  for (let i = 0, p = 0; i < ops; i++) {
    native.set(keys[p]!, 0x01020304);
    if (++p === n) p = 0;
  }
}

function stepUnsyncUpdate(s: Subject, ops: number): void {
  const { keys, unsync, unsyncOut } = s;
  const n = keys.length;
  let acc = 0;
  for (let i = 0, p = 0; i < ops; i++) {
    acc ^= unsync.update(keys[p]!, unsyncOut, BPF_ANY);
    if (++p === n) p = 0;
  }
  sink ^= acc;
}

const STEPS: [string, (s: Subject, ops: number) => void][] = [
  ['loop (key fetch only)', stepLoop],
  ['xxh32 of a 4 B key', stepHash],
  ['bucket HEAD read (prehashed)', stepBucket],
  ['bucket read + 2 Atomics.load of SEQ', stepSeqAtomics],
  ['walk: bucket + element, plain', stepWalk],
  ['walk + byte copy, plain', stepWalkCopy],
  ['walk + word copy, plain', stepWalkWordCopy],
  ['walk + word copy, seqlock 2 plain reads (2nd via another view)', makeSeqWalk(0)],
  ['walk + word copy, seqlock plain + Atomics.load', makeSeqWalk(1)],
  ['walk + word copy, seqlock 2 Atomics.load', makeSeqWalk(2)],
  ['open addressing, inline element, plain + Atomics.load', stepOpenInline],
  ['ChainedTable.lookupCopyWord (prehashed)', stepTableLookup],
  ['one method: guards + hash + seqlock walk + word copy (by hand)', stepFlatLookup],
  ['HashMap.lookupU32Into (program side)', stepMapLookup],
  ['lru_hash lookupU32Into (program side)', stepLruLookup],
  ['percpu_hash lookupU32Into (program side, CPU 0 of 2)', stepPercpuLookup],
  ['hash_resize lookupU32Into (program side, steady)', stepResizeLookup],
  ['Map.get', stepBuiltinMap],
  ['unsync table lookupInto', stepUnsync],
  ['update: lock CAS + unlock exchange', stepLockUnlock],
  ['update: write section (2 Atomics.add)', stepSeqWrite],
  ['update: write section (2 plain increments)', stepSeqWritePlain],
  ['Atomics.notify, no waiter', stepNotify],
  ['HashMap.updateU32 (program side, present key)', stepMapUpdate],
  ['Map.set', stepBuiltinSet],
  ['unsync table update', stepUnsyncUpdate],
];

function main(): void {
  const sizes = arg('--keys', '1024,65536').split(',').map(Number);
  const ops = Number(arg('--ops', '2000000'));
  const best = Number(arg('--best', '7'));
  const subjects = sizes.map(subject);
  // Program side: a CPU id is set, as in a BPF program (LRU reference bits, per-CPU slots).
  enterCpu(0);
  const rows: string[][] = [];
  for (const [name, f] of STEPS) rows.push([name, ...subjects.map((s) => bestNsPerOp(f, s, ops, best).toFixed(1))]);
  exitCpu();
  const head = ['step (ns per op, best of ' + best + ' x ' + ops + ')', ...sizes.map((n) => `${n} keys`)];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    `\nnode ${process.version}, ${process.arch}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}; sink ${sink & 1}`,
  );
  for (const s of subjects) for (const m of [s.map, s.lru, s.percpu, s.resize]) m.destroy();
}

main();
