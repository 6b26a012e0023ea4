import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import type { MapBase } from '../../src/maps/base.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { key, useRecovery } from './support.js';

// A CPU killed while it makes a new element chunk (a noPrealloc hash map,
// hash_resize's element pool), holding the allocator's lock, at each step of
// the making. The next allocation takes the lock over and must neither
// publish a second buffer for the chunk (threads would then address
// different memory for the same elements), nor hand out an element past the
// chunks that exist, nor lose the chunk's bytes from stats(). A twin map fed
// the same inserts by a thread that never died is the reference for bytes.

type Step = 'published' | 'committed-uncounted' | 'committed' | 'chunks-stored' | 'page-published' | 'page-linked-uncounted';

function value(k: number): Uint8Array {
  const v = new Uint8Array(8);
  const d = new DataView(v.buffer);
  d.setInt32(0, k, true);
  d.setInt32(4, ~k, true);
  return v;
}

const KINDS: { name: string; spec: MapSpec; raiseTo?: number; before: number; after: number; full: boolean; steps: Step[] }[] = [
  // 32 chunks of 32 elements; 100 entries fill chunks 0..3, the dead CPU makes chunk 4.
  {
    name: 'hash noPrealloc',
    spec: { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000, flags: { noPrealloc: true } },
    before: 100,
    after: 1000,
    full: true,
    steps: ['published', 'committed-uncounted', 'committed', 'chunks-stored'],
  },
  // The map's element pool has chunks of 512 elements (20-byte elements); 600
  // entries fill chunk 0 and part of 1, the dead CPU makes chunk 2; the
  // inserts after it grow the map to 4096 buckets. The pool has no count
  // apart from its directory: three steps.
  {
    name: 'hash_resize',
    spec: { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 8192, resize: { driver: 'inline', initialBuckets: 2048 } },
    before: 600,
    after: 3000,
    full: false,
    steps: ['published', 'committed-uncounted', 'committed'],
  },
  // Created for 1024 entries (chunks of 512: page 0 of the chunk directory
  // holds chunks 0..3) and raised to 8192: 2048 entries fill chunks 0..3,
  // and the dead CPU makes the directory page that chunk 4 needs (page 1).
  {
    name: 'hash_resize past its first directory page',
    spec: { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { driver: 'inline', initialBuckets: 1024 } },
    raiseTo: 8192,
    before: 2048,
    after: 5000,
    full: false,
    steps: ['page-published', 'page-linked-uncounted'],
  },
];

describe('a CPU killed while it makes an element chunk', () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(3000);

  for (const kind of KINDS) {
    for (const step of kind.steps) {
      it(`${kind.name}, killed with the chunk ${step}: one buffer per chunk in every thread, no early -E2BIG, bytes as a twin's`, async () => {
        const m = map(kind.spec);
        const twin = map(kind.spec);
        if (kind.raiseTo !== undefined) for (const target of [m, twin]) expect((target as unknown as { setMaxEntries(n: number): number }).setMaxEntries(kind.raiseTo)).toBe(0);
        const insert = (target: MapBase, from: number, to: number): void => {
          for (let k = from; k < to; k++) expect(target.updateU32(k, value(k)), `key ${k}`).toBe(0);
        };
        const settle = (target: MapBase): void => {
          for (let i = 0; target.stats().state === 'resizing'; i++) {
            if (i === 10_000) throw new Error('the resize does not finish');
            (target as unknown as { resizeStep(n: number): number }).resizeStep(1);
          }
        };
        insert(m, 0, kind.before);
        insert(twin, 0, kind.before);
        // A live reader attached before the death: it received whatever the dead CPU published.
        const reader = cpu(m, 0);
        expect(await run(reader, { op: 'read', from: 0, to: kind.before })).toMatchObject({ bad: 0 });
        const doomed = cpu(m);
        const cut = await run(doomed, { op: 'half-chunk', step });
        if (kind.raiseTo !== undefined) expect(cut).toMatchObject({ chunk: 4, page: 1 });
        await kill(doomed, m);
        insert(m, kind.before, kind.after);
        insert(twin, kind.before, kind.after);
        if (kind.full) {
          // maxEntries entries, not one fewer: the pool lost nothing to the death.
          expect(m.updateU32(kind.after, value(kind.after))).toBe(-Errno.E2BIG);
        }
        settle(m);
        settle(twin);
        expect(await run(reader, { op: 'read', from: 0, to: kind.after })).toMatchObject({ bad: 0 });
        for (let k = 0; k < kind.after; k += 97) expect(m.lookup(key(k))).toEqual(value(k));
        expect(m.stats().entries).toBe(kind.after);
        expect(m.stats().bytes).toBe(twin.stats().bytes);
        expect(verify(m).problems).toEqual([]);
      });
    }
  }
});
