import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import type { ArrayOfMapsMap } from '../../src/maps/array-of-maps/array-of-maps.js';
import type { MapBase } from '../../src/maps/base.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { createMap } from '../../src/maps/registry.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { key, useRecovery } from '../recovery/support.js';
import { within } from '../support/threads.js';

// Every kind of segment made after a thread attached reaches that thread
// with no other thread doing anything (memory/segments.ts, rule 1): a CPU
// attached before the segment existed reads it inside a synchronous loop
// while the thread that made it (the main thread here) is blocked and
// answers nothing.

const READER = new URL('./fixtures/reach-reader.mjs', import.meta.url);

interface Reader {
  ctl: Int32Array;
  worker: Worker;
  thrown: () => string;
}

const readers: Reader[] = [];
const maps: MapBase[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => within(r.worker.terminate(), 10_000, 'a reader to stop')));
  for (const m of maps.splice(0)) m.destroy();
});

function map(spec: MapSpec): MapBase {
  const m = createMap(spec) as MapBase;
  maps.push(m);
  return m;
}

async function attachReader(m: MapBase, plan: Record<string, unknown>): Promise<Reader> {
  const ctl = new Int32Array(new SharedArrayBuffer(20));
  const worker = new Worker(READER, { workerData: { handle: m.handle, cpu: 0, ctlSab: ctl.buffer, plan } });
  let thrown = '';
  worker.on('message', (msg: { thrown?: string }) => (thrown = msg.thrown ?? ''));
  const r = { ctl, worker, thrown: () => thrown };
  readers.push(r);
  const deadline = Date.now() + 10_000;
  while (Atomics.load(ctl, 0) === 0) {
    if (Date.now() > deadline) throw new Error('the reader did not attach within 10 s');
    await new Promise((res) => setTimeout(res, 2));
  }
  return r;
}

/** Lets the reader go and blocks this thread (no event loop) until it is done: nobody can answer it. */
async function goBlocked(r: Reader): Promise<{ passed: number; failed: number }> {
  Atomics.store(r.ctl, 1, 1);
  Atomics.notify(r.ctl, 1);
  const deadline = performance.now() + 15_000;
  while (Atomics.load(r.ctl, 0) !== 2 && performance.now() < deadline) Atomics.wait(r.ctl, 0, 1, 5);
  await within(new Promise((res) => r.worker.once('exit', res)), 10_000, 'the reader to exit');
  expect(r.thrown()).toBe('');
  expect(Atomics.load(r.ctl, 0)).toBe(2);
  return { passed: Atomics.load(r.ctl, 2), failed: Atomics.load(r.ctl, 3) };
}

/** Writes keys from..to-1 (value: the key), retrying the -EBUSY a resize under way may give. */
function put(m: MapBase, from: number, to: number): void {
  const v = new Uint8Array(m.spec.valueSize);
  for (let k = from; k < to; k++) {
    new DataView(v.buffer).setUint32(0, k, true);
    let rc = m.update(key(k), v);
    for (let tries = 0; rc === -16 && tries < 100_000; tries++) rc = m.update(key(k), v);
    expect(rc).toBe(0);
  }
}

describe('segments made after a thread attached reach it synchronously', () => {
  it('element chunks (hash, noPrealloc)', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8192, flags: { noPrealloc: true } });
    put(m, 0, 8);
    const before = m.handle.segments.length;
    const r = await attachReader(m, { op: 'lookups', from: 0, to: 8192 });
    put(m, 8, 8192);
    expect(m.handle.segments.length).toBeGreaterThan(before);
    expect(await goBlocked(r)).toEqual({ passed: 8192, failed: 0 });
  });

  it('tables and element chunks (hash_resize)', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1 << 16, resize: { driver: 'inline' } });
    put(m, 0, 8);
    const r = await attachReader(m, { op: 'lookups', from: 0, to: 20_000 });
    put(m, 8, 20_000);
    expect(m.stats().grows).toBeGreaterThan(0);
    expect(await goBlocked(r)).toEqual({ passed: 20_000, failed: 0 });
  });

  it('element-chunk directory pages (hash_resize, its bound raised past what it was created for)', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { driver: 'inline' } }) as unknown as HashResizeMap;
    put(m, 0, 8);
    const r = await attachReader(m, { op: 'lookups', from: 0, to: 30_000 });
    expect(m.setMaxEntries(1 << 16)).toBe(0);
    put(m, 8, 30_000);
    // Chunks 4..58 (512 elements each) live in pages 1..3 of the directory, all made after the reader attached.
    expect(m.pool.dir.pageIds().length).toBe(3);
    expect(await goBlocked(r)).toEqual({ passed: 30_000, failed: 0 });
  });

  it('sub-arrays (array_resize)', async () => {
    const m = map({ type: 'array_resize', keySize: 4, valueSize: 8, maxEntries: 4096, arrayResize: { subArraySize: 64, initialEntries: 64 } });
    put(m, 0, 64);
    const r = await attachReader(m, { op: 'lookups', from: 0, to: 4096 });
    for (let n = 1; n < 4096 / 64; n++) expect(m.grow()).toBe(0);
    put(m, 64, 4096);
    expect(await goBlocked(r)).toEqual({ passed: 4096, failed: 0 });
  });

  it('inner maps (array_of_maps)', async () => {
    const outer = map({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64 } }) as unknown as ArrayOfMapsMap;
    const r = await attachReader(outer as unknown as MapBase, { op: 'inner', index: 2, from: 0, to: 64 });
    const inner = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64 }) as MapBase;
    maps.push(inner);
    put(inner, 0, 64);
    expect(outer.setInner(2, inner)).toBe(0);
    expect(await goBlocked(r)).toEqual({ passed: 64, failed: 0 });
  });
});

describe('a redo record made after a thread attached reaches it synchronously', () => {
  const { cpu, run, kill } = useRecovery();
  setLockTimeout(3000);

  it('the attached CPU takes the lock of a CPU that died after its first write, while the main thread blocks', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 16, maxEntries: 64, nCpus: 2 });
    for (let k = 0; k < 10; k++) expect(m.update(key(k), new Uint8Array(16).fill(k))).toBe(0);
    const r = await attachReader(m, { op: 'update', key: 7, fill: 0xbb });
    const doomed = cpu(m);
    await run(doomed, { op: 'half-write', key: 7, fill: 0xaa });
    await kill(doomed, m, undefined, false);
    expect(await goBlocked(r)).toEqual({ passed: 1, failed: 0 });
    expect(m.lookup(key(7))).toEqual(new Uint8Array(16).fill(0xbb));
    expect(m.recoveryCounts().recordsReplayed).toBe(1);
    m.repair();
    expect(verify(m).problems).toEqual([]);
  });
});

describe('a handle taken before segments were made', () => {
  it('attaches: the segments published since are asked for and sent by a thread holding the map', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4096, flags: { noPrealloc: true } });
    put(m, 0, 8);
    const stale = m.handle;
    put(m, 8, 4096);
    const ctl = new Int32Array(new SharedArrayBuffer(20));
    const worker = new Worker(READER, { workerData: { handle: stale, cpu: 0, ctlSab: ctl.buffer, plan: { op: 'lookups', from: 0, to: 4096 } } });
    readers.push({ ctl, worker, thrown: () => '' });
    // This thread keeps its event loop free: it answers the attach's request.
    const deadline = Date.now() + 10_000;
    while (Atomics.load(ctl, 0) === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
    expect(Atomics.load(ctl, 0)).toBe(1);
    Atomics.store(ctl, 1, 1);
    Atomics.notify(ctl, 1);
    while (Atomics.load(ctl, 0) !== 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
    expect([Atomics.load(ctl, 2), Atomics.load(ctl, 3), Atomics.load(ctl, 4)]).toEqual([4096, 0, 0]);
  });
});
