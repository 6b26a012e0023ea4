import { LINE_WORDS } from '../memory/segments.js';
import type { LruHashMap } from '../maps/lru/lru-hash-map.js';
import { L_ENTRIES, L_FREE, L_INUSE, L_LOCK, L_NFREE, L_OLD, L_POOL, L_STACK, L_YOUNG, LIST, NEWER, OLDER, STACK } from '../maps/lru/lru-lists.js';
import { walkChains } from './chains.js';
import { describeLock } from './owners.js';
import type { Findings } from './report.js';

/** Where a checker found an element of an LRU pool. */
const NOWHERE = 0;
const IN_USE = 1;
const FREE = 2;

/**
 * lru_hash and lru_percpu_hash: the chains (as for hash), then every LRU
 * list (see lru-lists.ts): its lock free; the in-use list a proper doubly
 * linked list from OLD to YOUNG whose length is its INUSE counter; the free
 * list as long as NFREE; every element of the pool on exactly one of the two,
 * on the list its LIST word names; every linked entry in use; every element
 * on the release stack in use and unlinked; the ENTRIES counter equal to the
 * linked entries of the list; and, the map being quiescent, no in-use element
 * that is neither linked nor released (a pop whose insert never happened: a
 * leak that would make the map evict early).
 */
export function verifyLru(map: LruHashMap, f: Findings): void {
  const label = map.spec.type;
  const t = map.table;
  const cap = map.spec.maxEntries;
  const walk = walkChains(f, label, t, { capacity: cap, seed: map.header.seed, allowMoved: false, domain: map.domain });
  const { ctl, ew, stride, nLists } = map.lru;
  const where = new Uint8Array(cap);
  const released = new Uint8Array(cap);
  const linkedPerList = new Array<number>(nLists).fill(0);
  for (let e = 0; e < cap; e++) {
    if (walk.reached[e] === 0) continue;
    const l = ew[e * stride + LIST]!;
    if (l >= 0 && l < nLists) linkedPerList[l]!++;
  }
  let pool = 0;
  for (let l = 0; l < nLists; l++) {
    const at = l * LINE_WORDS;
    const name = `${label} LRU list ${l}`;
    const lockWord = Atomics.load(ctl, at + L_LOCK);
    if (lockWord !== 0) f.problem(`${name}: lock ${describeLock(map.domain, lockWord)} while the map is quiescent`);
    pool += ctl[at + L_POOL]!;

    let prev = -1;
    let n = 0;
    for (let e = ctl[at + L_OLD]!; e >= 0; e = ew[e * stride + NEWER]!) {
      if (e >= cap || where[e] !== NOWHERE) {
        f.problem(`${name}: in-use list reaches element ${e} ${e >= cap ? 'outside the pool' : 'a second time'}`);
        prev = -2;
        break;
      }
      where[e] = IN_USE;
      if (ew[e * stride + LIST] !== l) f.problem(`${name}: in-use element ${e} belongs to list ${ew[e * stride + LIST]}`);
      if (ew[e * stride + OLDER] !== prev) f.problem(`${name}: in-use element ${e} links back to ${ew[e * stride + OLDER]}, not ${prev}`);
      prev = e;
      n++;
    }
    if (prev !== -2) {
      if (ctl[at + L_YOUNG] !== prev) f.problem(`${name}: YOUNG is ${ctl[at + L_YOUNG]} but the in-use list ends at ${prev}`);
      if (ctl[at + L_INUSE] !== n) f.problem(`${name}: INUSE counter ${ctl[at + L_INUSE]}, ${n} elements in the in-use list`);
    }

    n = 0;
    let freeBroken = false;
    for (let e = ctl[at + L_FREE]!; e >= 0; e = ew[e * stride + OLDER]!) {
      if (e >= cap || where[e] !== NOWHERE) {
        f.problem(`${name}: free list reaches element ${e} ${e >= cap ? 'outside the pool' : 'already on a list (double free or cycle)'}`);
        freeBroken = true;
        break;
      }
      where[e] = FREE;
      if (ew[e * stride + LIST] !== l) f.problem(`${name}: free element ${e} belongs to list ${ew[e * stride + LIST]}`);
      if (walk.reached[e] !== 0) f.problem(`${name}: free element ${e} is linked in a chain`);
      n++;
    }
    if (!freeBroken && Atomics.load(ctl, at + L_NFREE) !== n) f.problem(`${name}: NFREE counter ${ctl[at + L_NFREE]}, ${n} elements on the free list`);

    let steps = 0;
    for (let e = Atomics.load(ctl, at + L_STACK); e >= 0; e = ew[e * stride + STACK]!) {
      if (e >= cap || released[e] !== 0 || ++steps > cap) {
        f.problem(`${name}: release stack reaches element ${e} ${e >= cap ? 'outside the pool' : 'a second time'}`);
        break;
      }
      released[e] = 1;
      if (where[e] !== IN_USE) f.problem(`${name}: released element ${e} is not in the in-use list`);
      if (walk.reached[e] !== 0) f.problem(`${name}: released element ${e} is still linked in a chain`);
    }

    const entries = Atomics.load(ctl, at + L_ENTRIES);
    if (entries !== linkedPerList[l]) f.problem(`${name}: ENTRIES counter ${entries}, ${linkedPerList[l]} of its elements are linked`);
  }
  if (pool !== cap) f.problem(`${label}: the LRU lists own ${pool} elements, the pool has ${cap}`);

  let leaked = 0;
  const firstLeaks: number[] = [];
  for (let e = 0; e < cap; e++) {
    const l = ew[e * stride + LIST]!;
    if (l < 0 || l >= nLists) f.problem(`${label}: element ${e} names list ${l}, of ${nLists}`);
    if (where[e] === NOWHERE) f.problem(`${label}: element ${e} is on no LRU list (lost)`);
    if (walk.reached[e] !== 0 && where[e] !== IN_USE) f.problem(`${label}: linked element ${e} is not in its in-use list`);
    if (where[e] === IN_USE && walk.reached[e] === 0 && released[e] === 0) {
      leaked++;
      if (firstLeaks.length < 8) firstLeaks.push(e);
    }
  }
  if (leaked > 0) f.problem(`${label}: ${leaked} in-use element(s) neither linked nor released (leaked), e.g. ${firstLeaks.join(', ')}`);
  f.count('lruLists', nLists);
}
