import { arraysSuite } from './arrays.js';
import { fullSuite } from './full.js';
import { mapsSuite } from './maps.js';
import type { Suite, SuiteName } from './plan.js';
import { resizeSuite } from './resize.js';

/** The suites by name, in the order `all` runs them. */
export const SUITES: Record<SuiteName, Suite> = {
  maps: mapsSuite,
  arrays: arraysSuite,
  resize: resizeSuite,
  full: fullSuite,
};

export const SUITE_NAMES = Object.keys(SUITES) as SuiteName[];

/** The suite `pnpm bench` runs when none is named. */
export const DEFAULT_SUITE: SuiteName = 'maps';
