import { describe, expect, it } from 'vitest';
import { xxh32U32 } from '../../src/hash/xxh32.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import type { Reply } from '../support/threads.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';

// The u32 lookup path (ChainedTable.lookupCopyWord: flat elements for a
// preallocated map, the value read as one word, the first SEQ read a plain
// load on x86-64) aimed at its failure modes: two threads rewrite one key
// with self-checking values while a third deletes and re-inserts keys of the
// same bucket (elements recycled under the reader, at the head of the chain it
// walks and into other chains) and a program on CPU 0 looks the key up, and a
// key never inserted into that bucket. 0 torn, 0 misses, 0 phantoms.

const WAIT_MS = 60_000;
const READ_MS = 1_500;
const READ_CAP = 10_000_000;
const MAX_ENTRIES = 64;
const HOT = 1;

const run = useThreadsAndMap();

/** Keys in the hot key's bucket (of a table of `mask` + 1 buckets) and elsewhere. */
function keysAround(seed: number, mask: number): { absent: number; churn: number[] } {
  const bucket = (k: number) => xxh32U32(k, seed) & mask;
  const same: number[] = [];
  const other: number[] = [];
  for (let k = HOT + 1; same.length < 4 || other.length < 3; k++) {
    if (bucket(k) === bucket(HOT)) {
      if (same.length < 4) same.push(k);
    } else if (other.length < 3) other.push(k);
  }
  // The first key of the hot bucket is never inserted: the phantom probe.
  return { absent: same[0]!, churn: [...same.slice(1), ...other] };
}

async function stress(spec: MapSpec): Promise<{ reader: Reply; writers: Reply[]; churner: Reply }> {
  const m = run.map(spec);
  const userBytes = spec.type.includes('percpu') ? (spec.nCpus ?? 1) * Math.ceil(spec.valueSize / 8) * 8 : spec.valueSize;
  expect(m.updateU32(HOT, new Uint8Array(userBytes), 0)).toBe(0);
  const mask = m.stats().buckets - 1;
  const { absent, churn } = keysAround((m as unknown as { header: { seed: number } }).header.seed, mask);
  const ctlSab = new SharedArrayBuffer(16);
  const ctl = new Int32Array(ctlSab);
  const fixture = new URL('./fixtures/word-lookup-worker.mjs', import.meta.url);
  const common = { ctlSab, hot: HOT, absent, churn, millis: READ_MS, cap: READ_CAP };
  for (const id of [0, 1]) run.thread(fixture, { ...common, role: 'writer', id });
  run.thread(fixture, { ...common, role: 'churner', id: 0 });
  run.thread(fixture, { ...common, role: 'reader', id: 0 });
  const [w0, w1, c, r] = await run.runTogether(ctl, { ready: 2, go: 1 }, { barrierMs: WAIT_MS, reportMs: WAIT_MS });
  return { reader: r!, writers: [w0!, w1!], churner: c! };
}

const SPECS: [string, MapSpec][] = [
  ['hash, 4 B values (one-word copy)', { type: 'hash', keySize: 4, valueSize: 4, maxEntries: MAX_ENTRIES }],
  ['hash, 12 B values (byte copy)', { type: 'hash', keySize: 4, valueSize: 12, maxEntries: MAX_ENTRIES }],
  ['hash noPrealloc (chunked elements)', { type: 'hash', keySize: 4, valueSize: 8, maxEntries: MAX_ENTRIES, flags: { noPrealloc: true } }],
  ['percpu_hash', { type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: MAX_ENTRIES, nCpus: 2 }],
  ['lru_hash', { type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: MAX_ENTRIES }],
  ['hash_resize', { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: MAX_ENTRIES }],
  // 4-byte values: each type's program fast path (lookupWordFlat, lookupWordChunked; lookupU32Into's own tests).
  ['hash noPrealloc, 4 B values (chunked one-word walk)', { type: 'hash', keySize: 4, valueSize: 4, maxEntries: MAX_ENTRIES, flags: { noPrealloc: true } }],
  ['lru_hash, 4 B values', { type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: MAX_ENTRIES }],
  ['hash_resize, 4 B values', { type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: MAX_ENTRIES }],
];

describe('u32 lookups under rewrites and recycled elements', () => {
  for (const [name, spec] of SPECS) {
    it(`${name}: 0 torn, 0 misses of a present key, 0 phantoms`, async () => {
      const { reader, writers, churner } = await stress(spec);
      expect(reader.thrown).toBeUndefined();
      for (const w of writers) expect(w.thrown).toBeUndefined();
      expect(churner.thrown).toBeUndefined();
      expect(reader.lookups as number).toBeGreaterThan(100_000);
      expect(reader.torn).toBe(0);
      expect(reader.misses).toBe(0);
      expect(reader.phantoms).toBe(0);
      // The load really overlapped: the reader saw several writers' values, the churner cycled.
      expect(reader.distinct as number).toBeGreaterThan(1);
      expect(churner.cycles as number).toBeGreaterThan(0);
      expect(churner.failures).toBe(0);
      // Only hash_resize may refuse a new key (-EBUSY during a resize); the others never.
      if (spec.type !== 'hash_resize') expect(churner.busy).toBe(0);
    }, 120_000);
  }
});
