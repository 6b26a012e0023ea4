import { Errno } from '@rightsize/engine';

/**
 * The helpers a program calls, each with a fixed index, so that counting a
 * call is an add into a preallocated slot (no string keys, no allocation on
 * the hot path). The names are the `ctx` method names and the keys of the
 * per-CPU results.
 */
export const HELPERS = ['lookup', 'lookupU32', 'update', 'updateU32', 'delete', 'deleteU32', 'lookupAndDelete', 'atomicAdd', 'grow', 'shrink', 'resizeHint'] as const;

export type HelperName = (typeof HELPERS)[number];

export const H_LOOKUP = 0;
export const H_LOOKUP_U32 = 1;
export const H_UPDATE = 2;
export const H_UPDATE_U32 = 3;
export const H_DELETE = 4;
export const H_DELETE_U32 = 5;
export const H_LOOKUP_AND_DELETE = 6;
export const H_ATOMIC_ADD = 7;
export const H_GROW = 8;
export const H_SHRINK = 9;
export const H_RESIZE_HINT = 10;

/**
 * Result slots per helper: 'OK', every errno the engine returns, and 'EOTHER'
 * for a negative number outside that list (a helper result the engine does not
 * define; kept so that the counts still add up to the calls).
 */
const ERRNO_NAMES = Object.keys(Errno) as (keyof typeof Errno)[];
export const RESULT_NAMES: readonly string[] = ['OK', ...ERRNO_NAMES, 'EOTHER'];
export const R_OK = 0;
export const R_OTHER = RESULT_NAMES.length - 1;

/** Errno numbers below this map through ERRNO_SLOT; anything else is R_OTHER. */
export const ERRNO_TABLE_SIZE = 1024;

/** ERRNO_SLOT[e] is the result slot of `-e`. */
export const ERRNO_SLOT: Uint8Array = (() => {
  const t = new Uint8Array(ERRNO_TABLE_SIZE).fill(R_OTHER);
  ERRNO_NAMES.forEach((name, i) => {
    t[Errno[name]] = i + 1;
  });
  return t;
})();

/** The result slot of a helper's return value (0 or a negative errno). */
export function resultSlot(r: number): number {
  if (r === 0) return R_OK;
  return r < 0 && r > -ERRNO_TABLE_SIZE ? ERRNO_SLOT[-r]! : R_OTHER;
}
