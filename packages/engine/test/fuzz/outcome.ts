import { Errno } from '../../src/errno.js';

/** What one call at the API boundary did. */
export type Outcome = { kind: 'result'; value: unknown } | { kind: 'refused'; error: Error };

const ERRNOS = new Set<number>(Object.values(Errno).map((e) => -e));

/**
 * Runs `fn` and classifies what it did. A programmer error must be a TypeError
 * or RangeError (naming what was wrong), or the engine's clear Error for a
 * map used after close/destroy; any other exception escapes and fails the
 * property: that is a crash, not a clear error.
 */
export function attempt(fn: () => unknown): Outcome {
  try {
    return { kind: 'result', value: fn() };
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) {
      if (e.message.length < 10) throw new Error(`unclear error message: ${JSON.stringify(e.message)}`);
      return { kind: 'refused', error: e };
    }
    if (e instanceof Error && /^rightsize: .*(was destroyed|was closed)/.test(e.message)) return { kind: 'refused', error: e };
    throw e;
  }
}

/** Whether a result is one the API documents: 0 or a kernel errno, a value or nothing, a batch result, stats, a map. */
export function checkResult(op: string, v: unknown): void {
  if (typeof v === 'number') {
    if (v !== 0 && !ERRNOS.has(v)) throw new Error(`${op} returned ${v}, neither 0 nor a known negative errno`);
    return;
  }
  if (v === undefined || v instanceof Uint8Array) return;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if ('err' in o) {
      if (typeof o.err !== 'number' || (o.err !== 0 && !ERRNOS.has(o.err))) throw new Error(`${op} returned err ${String(o.err)}`);
      if (typeof o.count !== 'number' || o.count < 0) throw new Error(`${op} returned count ${String(o.count)}`);
      return;
    }
    if ('entries' in o && 'bytes' in o) return;
    if ('spec' in o && 'handle' in o) return;
  }
  if (Array.isArray(v)) return;
  throw new Error(`${op} returned something the API does not document: ${String(v)}`);
}
