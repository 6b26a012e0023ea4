import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attachMap, createMap } from '../../src/maps/registry.js';
import type { BpfMap, MapHandle } from '../../src/maps/map.js';
import { verify } from '../../src/verify/index.js';
import { BUILT_ENGINE, FixtureWorker } from '../support/threads.js';
import { attempt } from './outcome.js';

// Handles are what threads pass each other, so a hostile or broken one must
// fail clearly where it is attached, in any thread, and never harm the map it
// was taken from: fields removed or replaced, buffers swapped or resized,
// another map's parts, the handle of a map destroyed since.

const mutations: fc.Arbitrary<(h: MapHandle, other: MapHandle) => unknown>[] = [
  fc.constantFrom('kind', 'id', 'spec', 'header', 'segments', 'domain').map((f) => (h: MapHandle) => {
    const c: Record<string, unknown> = { ...h };
    delete c[f];
    return c;
  }),
  fc.tuple(fc.constantFrom('kind', 'id', 'spec', 'header', 'segments', 'domain'), fc.constantFrom<unknown>(null, 0, 'x', [], {}, new SharedArrayBuffer(8), new ArrayBuffer(64))).map(
    ([f, v]) =>
      (h: MapHandle) => ({ ...h, [f]: v }),
  ),
  fc.constantFrom('header', 'domain').map((f) => (h: MapHandle, other: MapHandle) => ({ ...h, [f]: other[f as 'header' | 'domain'] })),
  fc.constant((h: MapHandle, other: MapHandle) => ({ ...h, spec: other.spec })),
  fc.constant((h: MapHandle) => ({ ...h, spec: { ...h.spec, keySize: h.spec.keySize + 1 } })),
  fc.constant((h: MapHandle) => ({ ...h, segments: h.segments.map(([id, sab]) => [id + 1, sab]) })),
  fc.constant((h: MapHandle) => ({ ...h, header: new SharedArrayBuffer(h.header.byteLength) })),
  fc.constantFrom<unknown>(null, undefined, 42, 'handle', [], {}).map((v) => () => v),
];

describe('fuzzing attachMap with forged and stale handles', () => {
  let maps: BpfMap[] = [];
  let workers: FixtureWorker[] = [];
  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    for (const m of maps.splice(0)) m.destroy();
  });

  it('in this thread: a forged handle attaches a usable map or throws a clear error; the original map is unharmed', () => {
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 32 });
    const other = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 8 });
    maps = [m, other];
    for (let k = 0; k < 10; k++) m.updateU32(k, new Uint8Array(4).fill(k));
    fc.assert(
      fc.property(fc.oneof(...mutations), (mutate) => {
        const o = attempt(() => attachMap(mutate(m.handle, other.handle)));
        if (o.kind === 'result') {
          const a = o.value as BpfMap;
          // Attached after all (the mutation left a valid handle): it is the same map or the other one, and works.
          expect(attempt(() => a.stats()).kind).toBe('result');
          a.close();
        } else {
          expect(o.error.message).toMatch(/handle|header|domain|segment|spec|kind|rightsize/i);
        }
        expect(verify(m).problems).toEqual([]);
        for (let k = 0; k < 10; k++) expect(m.lookup(new Uint8Array([k, 0, 0, 0]))).toEqual(new Uint8Array(4).fill(k));
      }),
      { numRuns: 300 },
    );
  });

  it("in another thread: a destroyed map's handle and a forged one are refused with clear errors", async () => {
    const m = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 8 });
    const live = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 });
    maps = [live];
    const stale = m.handle;
    m.destroy();
    const w = new FixtureWorker(new URL('./fixtures/attacher.mjs', import.meta.url), {});
    workers = [w];
    const destroyed = await w.request({ op: 'attach', handle: stale }, 10_000);
    expect(destroyed.error).toMatch(/was destroyed/);
    const forged = await w.request({ op: 'attach', handle: { ...live.handle, header: new SharedArrayBuffer(64) } }, 10_000);
    expect(forged.error).toMatch(/not a map header/);
    const fine = await w.request({ op: 'attach', handle: live.handle }, 10_000);
    expect(fine.error).toBeUndefined();
    expect(verify(live).problems).toEqual([]);
  });
});
