import { existsSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { createMap } from '../../src/maps/registry.js';
import type { MapBase } from '../../src/maps/base.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { BUILT_ENGINE, FixtureWorker, type Reply } from '../support/threads.js';

export const DYING_CPU = new URL('./fixtures/dying-cpu.mjs', import.meta.url);

/** The CPU id the doomed fixture threads play (the test thread is userspace). */
export const DOOMED_CPU = 1;

/**
 * Maps and fixture threads for a recovery test file, cleaned up after each
 * test. `kill` terminates a fixture thread and, unless told not to, marks its
 * CPU dead in the map's domain, as the worker runtime does once a CPU worker
 * is gone (the domain also finds such a death by itself: rcu/liveness.ts).
 */
export function useRecovery(): {
  map: (spec: MapSpec) => MapBase;
  cpu: (map: MapBase, cpu?: number) => FixtureWorker;
  run: (w: FixtureWorker, msg: { op: string; [k: string]: unknown }) => Promise<Reply>;
  /** Terminates `w`; with `mark` false nobody tells the domain (it must find the death itself). */
  kill: (w: FixtureWorker, map: MapBase, cpu?: number, mark?: boolean) => Promise<void>;
} {
  const maps: MapBase[] = [];
  const workers: FixtureWorker[] = [];
  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    for (const m of maps.splice(0)) m.destroy();
  });
  return {
    map: (spec) => {
      const m = createMap(spec) as MapBase;
      maps.push(m);
      return m;
    },
    cpu: (map, cpu = DOOMED_CPU) => {
      const w = new FixtureWorker(DYING_CPU, { handle: map.handle, cpu });
      workers.push(w);
      return w;
    },
    run: (w, msg) => w.request(msg, 20_000),
    kill: async (w, map, cpu = DOOMED_CPU, mark = true) => {
      await w.stop();
      if (mark) map.domain.markDead(cpu);
    },
  };
}

/** A 4-byte little-endian key. */
export function key(n: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, n, true);
  return k;
}
