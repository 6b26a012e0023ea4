import { afterEach, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/hash/hasher.js';
import { OWNER_MASK, setLockTimeout } from '../../src/locks/bucket-lock.js';
import type { HashMap } from '../../src/maps/hash/hash-map.js';
import { BUCKET_WORDS, LOCK } from '../../src/maps/chained/table.js';
import { setRecoveryFaultHook, type RecoveryStep } from '../../src/recovery/faults.js';
import { verify } from '../../src/verify/index.js';
import { key, useRecovery } from './support.js';

// A failure inside a takeover (an exception at any step of the recovery of a
// lock taken from a dead owner) happens before the caller's try/finally: the
// lock must not stay held by the live thread that failed. It goes back to
// the dead owner, so the next taker recovers it from the start, and then
// the map is whole: the dead CPU's half-written value replayed, the sequence
// even, verify clean.

const STEPS: RecoveryStep[] = ['seq-open', 'record-open', 'replay', 'seq-close'];
const KEY = 7;

describe('a failure at each step of a bucket-lock takeover', () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(3000);
  afterEach(() => setRecoveryFaultHook(null));

  for (const step of STEPS) {
    it(`${step}: the update throws, the lock is the dead owner's again, the next update recovers it and succeeds`, async () => {
      const m = map({ type: 'hash', keySize: 4, valueSize: 16, maxEntries: 64, nCpus: 2 }) as HashMap;
      for (let k = 0; k < 10; k++) expect(m.update(key(k), new Uint8Array(16).fill(k))).toBe(0);
      const doomed = cpu(m);
      await run(doomed, { op: 'half-write', key: KEY, fill: 0xaa });
      await kill(doomed, m, undefined, false);

      let hit = 0;
      setRecoveryFaultHook((s) => {
        if (s !== step) return;
        hit++;
        throw new Error(`injected failure at ${s}`);
      });
      expect(() => m.update(key(KEY), new Uint8Array(16).fill(0xcc))).toThrow(`injected failure at ${step}`);
      expect(hit).toBe(1);
      const t = m.table;
      const word = (hashKey(key(KEY), m.header.seed) & t.mask) * BUCKET_WORDS + LOCK;
      const holder = Atomics.load(t.buckets, word) & OWNER_MASK;
      expect(holder).not.toBe(0);
      expect(holder).not.toBe(m.domain.ownerId());
      expect(m.domain.isDeadOwner(holder)).toBe(true);

      setRecoveryFaultHook(null);
      expect(m.update(key(KEY), new Uint8Array(16).fill(0xcc))).toBe(0);
      expect(m.lookup(key(KEY))).toEqual(new Uint8Array(16).fill(0xcc));
      expect(Atomics.load(t.buckets, word)).toBe(0);
      for (let k = 0; k < 10; k++) if (k !== KEY) expect(m.lookup(key(k))).toEqual(new Uint8Array(16).fill(k));
      m.repair();
      expect(verify(m).problems).toEqual([]);
    });
  }
});
