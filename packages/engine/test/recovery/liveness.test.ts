import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { selfIdentity, statShowsAlive, threadAlive } from '../../src/rcu/liveness.js';
import { within } from '../support/threads.js';

// The OS liveness check (rcu/liveness.ts) decides when a dead CPU's locks are
// taken over. Found by kill-at-random.test.ts: on a loaded machine a killed
// CPU worker's thread stayed listed under /proc (in the kernel's exit path,
// PF_EXITING set, its start time unchanged) for many milliseconds after its
// terminate() resolved; read as alive, the repair ran nothing and a CPU
// started on its id kept its owner id, and verify found the dead CPU's lock
// "held by owner (slot 1, alive)".

/** This thread's stat line with field `n` (3 = state, 9 = flags, 22 = start time) set to `value`. */
function withField(stat: string, n: number, value: string): string {
  const head = stat.slice(0, stat.lastIndexOf(')') + 2);
  const fields = stat.slice(head.length).split(' ');
  fields[n - 3] = value;
  return head + fields.join(' ');
}

describe('thread liveness from /proc', () => {
  const me = selfIdentity();
  const stat = readFileSync('/proc/thread-self/stat', 'latin1');
  const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);

  it('reads this thread as alive, by its stat line and by its id', () => {
    expect(me.tid).toBeGreaterThan(0);
    expect(statShowsAlive(stat, me.start)).toBe(true);
    expect(threadAlive(me.tid, me.start)).toBe(true);
    // A command name with spaces and parentheses does not shift the fields.
    expect(statShowsAlive(stat.replace(/\(.*\)/, '(a (b) c)'), me.start)).toBe(true);
  });

  it('reads a thread in its exit path (PF_EXITING), a zombie, or a later thread on the same id as gone', () => {
    expect(flags & 0x4).toBe(0);
    expect(statShowsAlive(withField(stat, 9, String(flags | 0x4)), me.start), 'PF_EXITING').toBe(false);
    expect(statShowsAlive(withField(stat, 3, 'Z'), me.start), 'zombie').toBe(false);
    expect(statShowsAlive(withField(stat, 3, 'X'), me.start), 'dead').toBe(false);
    expect(statShowsAlive(stat, me.start + 1), 'another start time').toBe(false);
  });

  it('reads a worker whose terminate() resolved as gone, at once', async () => {
    const w = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const fs = require('node:fs');
       const link = fs.readlinkSync('/proc/thread-self');
       const stat = fs.readFileSync('/proc/thread-self/stat', 'latin1');
       parentPort.postMessage({ tid: Number(link.slice(link.lastIndexOf('/') + 1)), start: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) % 2 ** 31 });
       for (;;);`,
      { eval: true },
    );
    const id = await within(new Promise<{ tid: number; start: number }>((resolve) => w.once('message', resolve)), 10_000, 'the worker to say who it is');
    expect(threadAlive(id.tid, id.start)).toBe(true);
    await within(w.terminate(), 10_000, 'the worker to terminate');
    expect(threadAlive(id.tid, id.start)).toBe(false);
  });
});
