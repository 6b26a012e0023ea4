import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errno, QuiescenceDomain, createMap, setLockTimeout, verify, type ArrayOfMapsMap, type BpfMap, type MapSpec } from '../../src/index.js';
import { percpuValueStride } from '../../src/spec/map-spec.js';
import { BUILT_ENGINE, within } from '../support/threads.js';
import { key } from './support.js';
import {
  ABSENT, FLIGHT_KEY, FLIGHT_STAMP, GO, LEDGER_WORDS, LOOPING, LOOPS, NEXT_STAMP, PHASE, TAKEN_OVER, TORN, committedAt, seenAt, stampOfValue, stampValue,
} from './fixtures/stamps.mjs';

// Kill at random (issue 18): a CPU worker rewriting stamped values in a tight
// loop is terminated at a random moment, and nobody marks it dead: the
// engine must find the death itself. Then, alternately, a NEW CPU worker on
// the same CPU id (started after the death) or the main thread takes the map
// over by rewriting every ledger key, reading each one first. Each round
// checks: nothing waited past the lock timeout, every update that returned
// is there (or the one in flight, whole), no value is torn, no lock is left
// held, and the map verifies. A replacement CPU is itself the next round's
// victim, so CPUs started after earlier deaths are killed again (the soak
// also kills them right after their start, while they may still take over).
//
// KILL_SEED=<the seed printed> replays the test's choices (when to kill, who
// takes over, the loops' churn); the threads' timing cannot be replayed.
// Each map type runs its rounds concurrently with the others (describe.concurrent),
// each in its own quiescence domain, to keep the file's wall time down.

const SEED = Number(process.env.KILL_SEED ?? Date.now() % 2 ** 31);
const ROUNDS = 100;
const KEYS = 8;
const VALUE = 64;
const CPU = 1;
const LOCK_TIMEOUT_MS = 3000;
/** Bound on any wait for a worker: a lock timeout and the start of a thread. */
const WAIT_MS = LOCK_TIMEOUT_MS + 7000;
/** How long a resize may answer -EBUSY (as in the fixture): it must end, a dead driver's resize taken over. */
const EBUSY_BOUND_MS = 5000;
const FIXTURE = new URL('./fixtures/stamping-cpu.mjs', import.meta.url);
/**
 * Per map type. Its 100 rounds take 25 to 50 s alongside the other types on
 * an idle 2-core machine (the file: 60 to 85 s), about twice that when the
 * machine is shared; every wait inside a round has its own bound.
 */
const TEST_TIMEOUT_MS = 300_000;

interface Case {
  name: string;
  spec: MapSpec;
  kind: 'plain' | 'percpu' | 'aom';
  /** Keys inserted and deleted besides the ledger's (hash types). */
  churn?: { from: number; to: number };
  /** The loop calls grow()/shrink() now and then. */
  resizes?: boolean;
}

const CHURN = { from: 1000, to: 1024 };
const hashResize = (driver: 'inline' | 'help' | 'deferred'): Case => ({
  name: `hash_resize (${driver})`,
  spec: { type: 'hash_resize', keySize: 4, valueSize: VALUE, maxEntries: 64, resize: { driver, initialBuckets: 4, migrateBatch: 2, ebusyPolicy: 'retry' } },
  kind: 'plain',
  churn: CHURN,
  resizes: true,
});

const CASES: Case[] = [
  { name: 'hash (prealloc)', spec: { type: 'hash', keySize: 4, valueSize: VALUE, maxEntries: 64 }, kind: 'plain', churn: CHURN },
  { name: 'hash (noPrealloc)', spec: { type: 'hash', keySize: 4, valueSize: VALUE, maxEntries: 64, flags: { noPrealloc: true } }, kind: 'plain', churn: CHURN },
  // Room for every key: LRU must never evict a ledger key here.
  { name: 'lru_hash (common list)', spec: { type: 'lru_hash', keySize: 4, valueSize: VALUE, maxEntries: 128 }, kind: 'plain', churn: CHURN },
  { name: 'lru_hash (per-CPU lists)', spec: { type: 'lru_hash', keySize: 4, valueSize: VALUE, maxEntries: 128, nCpus: 2, flags: { noCommonLru: true } }, kind: 'plain', churn: CHURN },
  { name: 'percpu_hash', spec: { type: 'percpu_hash', keySize: 4, valueSize: VALUE, maxEntries: 64, nCpus: 2 }, kind: 'percpu', churn: CHURN },
  { name: 'array', spec: { type: 'array', keySize: 4, valueSize: VALUE, maxEntries: KEYS }, kind: 'plain' },
  // The ledger keys sit in the first sub-array, which a shrink never drops.
  { name: 'array_resize', spec: { type: 'array_resize', keySize: 4, valueSize: VALUE, maxEntries: 64, arrayResize: { subArraySize: 8, initialEntries: 8 } }, kind: 'plain', resizes: true },
  {
    name: 'array_of_maps',
    spec: { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: 'hash', keySize: 4, valueSize: VALUE, maxEntries: 32 } },
    kind: 'aom',
  },
  hashResize('inline'),
  hashResize('help'),
  hashResize('deferred'),
];

/** xorshift32: the test's choices (kill moment, who takes over), replayable from SEED. */
function prng(seed: number): () => number {
  let s = seed | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** The map holding ledger key k (array_of_maps: the inner map at k % indexes). */
function holder(m: BpfMap, c: Case, k: number): BpfMap {
  return c.kind === 'aom' ? (m as ArrayOfMapsMap).getInner(k % m.spec.maxEntries)! : m;
}

/** Every map whose locks and recoveries count: the map, and an array_of_maps' inner maps. */
function parts(m: BpfMap, c: Case): BpfMap[] {
  if (c.kind !== 'aom') return [m];
  return Array.from({ length: m.spec.maxEntries }, (_, i) => (m as ArrayOfMapsMap).getInner(i)!);
}

function recovered(m: BpfMap, c: Case): { locks: number; replayed: number; repairs: number } {
  let locks = 0;
  let replayed = 0;
  let repairs = 0;
  for (const p of parts(m, c)) {
    const r = p.recoveryCounts();
    locks += r.locksRecovered;
    replayed += r.recordsReplayed;
    repairs += r.repairs;
  }
  return { locks, replayed, repairs };
}

/**
 * verify() on a quiet map. The deferred driver's resizer thread is never
 * paused: a problem counts only if it is still there once no resize is under
 * way (it may hold the resize lock for an instant while it looks at the
 * watermarks); a lock a dead CPU left stays.
 */
async function verifyQuiet(m: BpfMap): Promise<string[]> {
  let problems: string[] = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = m.stats();
    problems = verify(m).problems;
    const after = m.stats();
    if (problems.length === 0) return problems;
    if (m.spec.resize.driver !== 'deferred' || (before.state === 'idle' && after.state === 'idle' && after.grows === before.grows && after.shrinks === before.shrinks)) return problems;
    await new Promise((r) => setTimeout(r, 5));
  }
  return problems;
}

describe.concurrent('kill at random: a CPU in a tight update loop, terminated and never marked dead', () => {
  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
    setLockTimeout(LOCK_TIMEOUT_MS);
    console.log(`kill-at-random: seed ${SEED} (replay with KILL_SEED=${SEED})`);
  });
  const maps: BpfMap[] = [];
  afterAll(() => {
    for (const m of maps.splice(0)) m.destroy();
  });

  CASES.forEach((c, ci) => {
    it(`${c.name}: ${ROUNDS} rounds, each write acknowledged stays, the one in flight is whole or absent, no lock held, verify clean`, async () => {
      const rand = prng(SEED ^ Math.imul(ci + 1, 0x9e3779b1));
      const domain = QuiescenceDomain.create();
      const m = createMap(c.spec, { domain });
      maps.push(m);
      if (c.kind === 'aom') {
        for (let i = 0; i < m.spec.maxEntries; i++) expect((m as ArrayOfMapsMap).setInner(i, createMap(c.spec.inner!, { domain }))).toBe(0);
      }
      // The deferred resizer thread ends with the thread that first asks for a
      // resize: asked here, it is not killed with a CPU.
      if (c.spec.resize?.driver === 'deferred') m.grow();

      const ledger = new Int32Array(new SharedArrayBuffer(LEDGER_WORDS * 4));
      Atomics.store(ledger, NEXT_STAMP, 1);
      const perCpu = c.kind === 'percpu';
      const stride = perCpu ? percpuValueStride(VALUE) : VALUE;
      const userValue = new Uint8Array(perCpu ? m.spec.nCpus * stride : VALUE);
      /**
       * A userspace write of a fresh stamp to ledger key k (every CPU's window
       * of a per-CPU value). A resize under way answers -EBUSY: retried, with
       * the event loop let go between tries (the other map types' rounds go
       * on), for at most EBUSY_BOUND_MS: a resize must end, whoever died.
       */
      const mainWrite = async (k: number) => {
        const stamp = Atomics.add(ledger, NEXT_STAMP, 1);
        for (let at = 0; at < userValue.length; at += stride) stampValue(userValue.subarray(at, at + VALUE), stamp);
        const since = Date.now();
        let rc: number;
        while ((rc = holder(m, c, k).update(key(k), userValue)) === -Errno.EBUSY) {
          if (Date.now() - since > EBUSY_BOUND_MS) throw new Error(`${c.name}: key ${k}: -EBUSY for ${EBUSY_BOUND_MS} ms; map: ${JSON.stringify(m.stats())}`);
          await new Promise((r) => setImmediate(r));
        }
        expect(rc, `update of ledger key ${k}`).toBe(0);
        Atomics.store(ledger, committedAt(k), stamp);
      };
      /** The stamp ledger key k holds in the dying CPU's window, TORN or ABSENT. */
      const mainRead = (k: number) => {
        const out = new Uint8Array(userValue.length);
        if (holder(m, c, k).lookupInto(key(k), out) !== 0) return ABSENT;
        const mine = stampOfValue(out, perCpu ? CPU * stride : 0, VALUE);
        // Every other CPU's window of a per-CPU value must be whole too.
        for (let at = 0; perCpu && at < out.length; at += stride) if (stampOfValue(out, at, VALUE) === TORN) return TORN;
        return mine;
      };
      for (let k = 0; k < KEYS; k++) await mainWrite(k);

      let failure: string | null = null;
      const start = (takeover: boolean): Worker => {
        const w = new Worker(FIXTURE, {
          workerData: {
            handle: m.handle, cpu: CPU, ledgerSab: ledger.buffer, keys: KEYS, kind: c.kind, indexes: m.spec.maxEntries,
            churn: c.churn ?? null, resizes: c.resizes === true, takeover, lockTimeoutMs: LOCK_TIMEOUT_MS, seed: Math.floor(rand() * 2 ** 31),
          },
        });
        w.on('error', (e) => {
          failure ??= `CPU worker failed: ${e.stack ?? String(e)}`;
        });
        return w;
      };
      const untilLedger = async (cond: () => boolean, what: string) => {
        const deadline = Date.now() + WAIT_MS;
        while (!cond()) {
          if (failure !== null) throw new Error(failure);
          if (Date.now() > deadline) throw new Error(`${c.name}: timed out after ${WAIT_MS} ms waiting for ${what}; in flight: key ${Atomics.load(ledger, FLIGHT_KEY)}, map: ${JSON.stringify(m.stats())}`);
          await new Promise((r) => setImmediate(r));
        }
      };

      const figures = { rounds: 0, killsInLock: 0, locksRecovered: 0, recordsReplayed: 0, byNewCpu: 0, byMain: 0, inFlightLanded: 0, mainLeftProblems: 0 };
      const rc0 = recovered(m, c);
      let worker = start(false);
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const at = `${c.name} round ${round} (seed ${SEED})`;
          Atomics.store(ledger, LOOPS, 0);
          // A few ms of updates at most: kill after 1..600 returned updates.
          const target = 1 + Math.floor(rand() * 600);
          await untilLedger(() => Atomics.load(ledger, PHASE) === LOOPING && Atomics.load(ledger, LOOPS) >= target, `the CPU to make ${target} updates`);
          const before = recovered(m, c);
          await within(worker.terminate(), WAIT_MS, 'a CPU worker to terminate');
          // What the dead CPU acknowledged, and what it had in flight.
          const flightKey = Atomics.load(ledger, FLIGHT_KEY);
          const flightStamp = Atomics.load(ledger, FLIGHT_STAMP);
          const committed = Array.from({ length: KEYS }, (_, k) => Atomics.load(ledger, committedAt(k)));

          const t0 = performance.now();
          const byNewCpu = rand() < 0.5;
          if (byNewCpu) {
            Atomics.store(ledger, PHASE, 0);
            Atomics.store(ledger, GO, 0);
            worker = start(true);
            await untilLedger(() => Atomics.load(ledger, PHASE) >= TAKEN_OVER, 'a new CPU to take the map over');
            figures.byNewCpu++;
          } else {
            for (let k = 0; k < KEYS; k++) {
              Atomics.store(ledger, seenAt(k), mainRead(k));
              await mainWrite(k);
            }
            figures.byMain++;
          }
          expect(performance.now() - t0, `${at}: the takeover waited past the lock timeout`).toBeLessThan(WAIT_MS);
          for (let k = 0; k < KEYS; k++) {
            const seen = Atomics.load(ledger, seenAt(k));
            expect(seen, `${at}: key ${k} holds a torn value`).not.toBe(TORN);
            expect(seen, `${at}: key ${k} is missing`).not.toBe(ABSENT);
            const allowed = k === flightKey ? [committed[k], flightStamp] : [committed[k]];
            expect(allowed, `${at}: key ${k} holds stamp ${seen}; committed ${committed[k]}, in flight ${k === flightKey ? flightStamp : 'none'}`).toContain(seen);
            if (k === flightKey && seen === flightStamp && seen !== committed[k]) figures.inFlightLanded++;
          }
          // No lock is left held: a new CPU found the death going online, so its
          // first write repaired the map (every lock the dead CPU held taken
          // over). The main thread's writes may not have met the dead CPU at
          // all (a lock on another bucket, an element it took): repair() asks
          // the OS about every live slot, finds the death and does the rest.
          // Either way the map is then whole.
          const early = await verifyQuiet(m);
          if (byNewCpu) expect(early, `${at}: after a new CPU's takeover`).toEqual([]);
          else if (early.length > 0) figures.mainLeftProblems++;
          m.repair();
          for (const p of parts(m, c)) p.repair();
          expect(await verifyQuiet(m), at).toEqual([]);
          const after = recovered(m, c);
          if (after.locks > before.locks) figures.killsInLock++;
          figures.rounds++;
          if (byNewCpu) {
            Atomics.store(ledger, GO, 1);
            Atomics.notify(ledger, GO);
          } else {
            worker = start(false);
          }
        }
      } finally {
        await within(worker.terminate(), WAIT_MS, 'the last CPU worker to terminate');
      }
      // After the last death: the main thread takes over and checks the map once more.
      for (let k = 0; k < KEYS; k++) expect(mainRead(k)).not.toBe(TORN);
      for (let k = 0; k < KEYS; k++) await mainWrite(k);
      m.repair();
      for (const p of parts(m, c)) p.repair();
      expect(await verifyQuiet(m)).toEqual([]);
      const rc1 = recovered(m, c);
      figures.locksRecovered = rc1.locks - rc0.locks;
      figures.recordsReplayed = rc1.replayed - rc0.replayed;
      const s = m.stats();
      const resizes = typeof s.grows === 'number' ? `, ${s.grows} grows / ${s.shrinks} shrinks` : '';
      console.log(
        `kill-at-random ${c.name}: ${figures.rounds} rounds, ${figures.killsInLock} kills inside a lock, ${figures.locksRecovered} locks taken over, ` +
          `${figures.recordsReplayed} writes replayed, takeovers ${figures.byNewCpu} by a new CPU / ${figures.byMain} by the main thread, ` +
          `${figures.inFlightLanded} in-flight writes found landed, ${figures.mainLeftProblems} main takeovers that left work for repair()${resizes} (seed ${SEED})`,
      );
      expect(figures.rounds).toBe(ROUNDS);
      // The test must have met the case it is about: here from 7 to 68 of the
      // 100 kills land inside a lock (hash_resize inline the fewest), so none
      // at all would be a ~1e-3 chance at worst.
      expect(figures.killsInLock, 'no kill landed inside a lock').toBeGreaterThan(0);
    }, TEST_TIMEOUT_MS);
  });
});
