import type { BpfMap } from '../../src/maps/map.js';
import type { ResizeOptions } from '../../src/spec/map-spec.js';

/**
 * The resize configurations the single-thread hash_resize tests run under:
 * the table grows synchronously inside the crossing call ('inline'), by the
 * callers themselves ('help' driver and policy), and on the deferred resizer
 * thread while the test goes on (with the 'help' policy, so that a caller
 * that meets a resize completes its operation instead of seeing -EBUSY).
 */
export const RESIZE_MODES: { mode: string; resize: ResizeOptions }[] = [
  { mode: 'inline driver', resize: { driver: 'inline' } },
  { mode: 'help driver, help policy', resize: { driver: 'help', ebusyPolicy: 'help' } },
  { mode: 'deferred driver, help policy', resize: { driver: 'deferred', ebusyPolicy: 'help' } },
];

/** Walks with getNextKey from null; `between` runs after each key. Returns the keys in order and the final result. */
export function walk(m: BpfMap, between?: (k: Uint8Array, i: number) => void): { keys: Uint8Array[]; end: number } {
  const keys: Uint8Array[] = [];
  let cur: Uint8Array | null = null;
  for (let steps = 0; steps <= 4 * m.spec.maxEntries; steps++) {
    const next = new Uint8Array(m.spec.keySize);
    const rc = m.getNextKey(cur, next);
    if (rc !== 0) return { keys, end: rc };
    keys.push(next);
    between?.(next, keys.length - 1);
    cur = next;
  }
  throw new Error(`getNextKey walked more than 4 x maxEntries (${m.spec.maxEntries}) keys: it loops`);
}

/** Waits (bounded) until the map has no resize under way and nothing waiting for its grace period. */
export async function settled(m: BpfMap, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = m.stats();
    if (s.state === 'idle' && s.pendingReclaim === 0) return;
    if (Date.now() > deadline) throw new Error(`map still ${String(s.state)} with ${String(s.pendingReclaim)} tables in grace after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
