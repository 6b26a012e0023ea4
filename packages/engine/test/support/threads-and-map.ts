import { existsSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import type { BpfMap } from '../../src/maps/map.js';
import { createMap } from '../../src/maps/registry.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { BUILT_ENGINE, FixtureWorker, until, type Reply } from './threads.js';

/** Where a fixture's control words are: each thread adds 1 at `ready`, and waits for `go` to become 1. */
export interface StartBarrier {
  ready: number;
  go: number;
}

/** How long each wait may take: every thread at the barrier, and each thread's report (`what` names it in a timeout). */
export interface StartBounds {
  barrierMs: number;
  reportMs: number;
  what?: string;
}

export interface ThreadsAndMap {
  /** Creates the test's map (one per test), destroyed after the test once its threads stopped. */
  map(spec: MapSpec): BpfMap;
  /** Starts a fixture thread with `data` and the map's `handle` (stopped after the test). */
  thread(fixture: URL, data: Record<string, unknown>): FixtureWorker;
  /**
   * Waits (at most `barrierMs`) until every thread started so far counted
   * itself at the barrier, releases them together, runs `whileRunning` (work
   * of this thread during the load), then returns each thread's report in the
   * order they were started (each awaited at most `reportMs`).
   */
  runTogether(ctl: Int32Array, barrier: StartBarrier, bounds: StartBounds, whileRunning?: () => void): Promise<Reply[]>;
}

/**
 * For tests that load one map from fixture worker threads: checks the built
 * engine (the fixtures import it) is there, and after each test stops the
 * threads (bounded) and then destroys the map. Call at module or describe level.
 */
export function useThreadsAndMap(): ThreadsAndMap {
  let threads: FixtureWorker[] = [];
  let map: BpfMap | null = null;

  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
  });

  afterEach(async () => {
    await Promise.all(threads.map((t) => t.stop()));
    threads = [];
    map?.destroy();
    map = null;
  });

  return {
    map(spec) {
      if (map) throw new Error('one map per test');
      map = createMap(spec);
      return map;
    },
    thread(fixture, data) {
      if (!map) throw new Error('create the map before its threads');
      const t = new FixtureWorker(fixture, { ...data, handle: map.handle });
      threads.push(t);
      return t;
    },
    async runTogether(ctl, barrier, bounds, whileRunning) {
      const started = [...threads];
      const reports = started.map((t) => t.next(bounds.reportMs, bounds.what));
      await until(() => Atomics.load(ctl, barrier.ready) === started.length, bounds.barrierMs, 'every thread at the start barrier');
      Atomics.store(ctl, barrier.go, 1);
      Atomics.notify(ctl, barrier.go);
      whileRunning?.();
      return Promise.all(reports);
    },
  };
}
