import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Worker-thread plumbing for the two-thread tests. Workers run .mjs fixtures
 * that import the built engine (packages/engine/dist), so the engine must be
 * built first: `npx tsc -b packages/engine`.
 */
const DIST = new URL('../../dist/index.js', import.meta.url);

export function requireBuiltEngine(): void {
  if (!existsSync(DIST)) throw new Error(`the two-thread tests load ${DIST.pathname}: build the engine first (npx tsc -b packages/engine)`);
}

/** Control words shared with fixtures: [0] stop flag, [1] threads ready, [2..] test-specific. */
export const STOP = 0;
export const READY = 1;

export function controlWords(n = 16): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

export interface Running<T> {
  worker: Worker;
  /** The fixture's one message (its result); rejects on a worker error, an exit without a result, or the timeout. */
  result: Promise<T>;
  /** Set once `result` rejected (waitUntil watches it, so a crashed worker fails a wait at once). */
  error: Error | null;
}

/** Starts a fixture; it must post exactly one message, its result. Bounded: the worker is terminated after `timeoutMs`. */
export function startWorker<T>(fixture: URL, workerData: unknown, timeoutMs = 30_000): Running<T> {
  requireBuiltEngine();
  const worker = new Worker(fixture, { workerData });
  const running: Running<T> = { worker, result: null as unknown as Promise<T>, error: null };
  running.result = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${fixture.pathname} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    worker.once('message', (m: T) => {
      clearTimeout(timer);
      resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${fixture.pathname} exited (code ${code}) without a result`));
    });
  });
  running.result.catch((e: Error) => (running.error = e));
  return running;
}

/**
 * Waits (polling, event loop free to run) until `cond` holds; throws after
 * `timeoutMs`, or at once with the error of a watched worker that failed.
 */
export async function waitUntil(cond: () => boolean, what: string, watch: Running<unknown>[] = [], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    for (const w of watch) if (w.error) throw w.error;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
