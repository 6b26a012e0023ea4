import { Worker } from 'node:worker_threads';

/** Rejects with a clear error when `p` has not settled within `ms`: no test waits forever on a thread. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A reply from a fixture worker: `thrown` when its handler threw. */
export interface Reply {
  op: string;
  thrown?: string;
  [field: string]: unknown;
}

/**
 * A worker thread running a fixture module that answers each message with one
 * reply. Every wait is bounded; an error or early exit of the worker fails
 * the pending request instead of leaving it hanging.
 */
export class FixtureWorker {
  private readonly worker: Worker;
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private dead: Error | null = null;

  constructor(file: URL, workerData: unknown) {
    this.worker = new Worker(file, { workerData });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if (r.thrown) p.reject(new Error(`worker threw: ${r.thrown}`));
      else p.resolve(r);
    });
    const fail = (e: Error) => {
      this.dead = e;
      this.pending?.reject(e);
      this.pending = null;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`worker exited (code ${code})`)));
  }

  /** Sends `msg` and waits (at most `ms`) for the worker's reply. */
  request(msg: { op: string; [k: string]: unknown }, ms: number): Promise<Reply> {
    const reply = this.next(ms, `the worker's reply to ${msg.op}`);
    this.worker.postMessage(msg);
    return reply;
  }

  /** Waits (at most `ms`) for the worker's next message (for workers that report on their own). */
  next(ms: number, what = "the worker's report"): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending) return Promise.reject(new Error('one message awaited at a time'));
    const reply = new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
    return within(reply, ms, what);
  }

  /** Ends the worker (bounded: terminate() resolves once the thread stopped). */
  async stop(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await within(this.worker.terminate(), 10_000, 'a worker to terminate');
  }
}

/** Polls `cond` every 5 ms until it holds; rejects after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The built engine that fixture workers import: tests that start workers need it. */
export const BUILT_ENGINE = new URL('../../dist/index.js', import.meta.url);
