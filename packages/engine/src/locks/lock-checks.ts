import { OWNER_MASK } from './bucket-lock.js';

/**
 * Lock contracts checked at run time (the kernel's __must_hold /
 * lockdep_assert_held): with checks on, every `...Locked` method asserts
 * that the calling thread holds the lock it relies on. Off by default (one
 * flag read per call); tests turn it on with setLockChecks(true), and so does
 * the environment variable RIGHTSIZE_LOCK_CHECKS=1 (inherited by worker
 * threads, each of which reads it when it loads this module).
 */
let lockChecks = typeof process !== 'undefined' && process.env.RIGHTSIZE_LOCK_CHECKS === '1';

/** Modules that keep their own copy of the flag (see mirrorLockChecks), told of every change. */
const mirrors: ((on: boolean) => void)[] = [];

export function setLockChecks(on: boolean): void {
  lockChecks = on;
  for (const set of mirrors) set(on);
}

export function lockChecksOn(): boolean {
  return lockChecks;
}

/**
 * For a module whose hot paths test the flag (maps/chained/table.ts): `set`
 * gets the flag now and at every setLockChecks, so that the module keeps it in
 * a variable of its own, read as before the flag moved here (an imported
 * `let` is read through the import's cell instead).
 */
export function mirrorLockChecks(set: (on: boolean) => void): void {
  mirrors.push(set);
  set(lockChecks);
}

/** With lock checks on: throws unless the lock word `words[i]` is held by `owner`. */
export function assertHeld(words: Int32Array, i: number, owner: number, what: string): void {
  if (!lockChecks) return;
  const held = Atomics.load(words, i) & OWNER_MASK;
  if (held !== owner) throw new Error(`rightsize: lock contract broken: ${what} (word ${i}) is held by ${held}, not by the caller ${owner}`);
}
