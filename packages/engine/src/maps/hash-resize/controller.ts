/**
 * Resize controllers of hash_resize: given a sample of the map's own
 * statistics, decide whether to resize, to how many buckets, and why.
 *
 * Pure: no shared memory, no clock. The map (hash-resize-map.ts) builds the
 * sample, keeps the controller's state in shared words (so that whichever
 * thread evaluates it continues the same history), logs the decision and
 * carries it out. Tests drive these functions with scripted samples.
 *
 *  - 'watermarks': rhashtable's rule (grow above growAt, shrink below
 *    shrinkAt when the half-size table stays below growAt), by 2x. Stateless.
 *  - 'adaptive': the talk's "track BUSY errors to correct for too frequent
 *    resizes". It projects the entries from the net insert rate and its
 *    trend: it grows when the projection over a reaction horizon (about two
 *    resizes' time) passes growAt, before the watermark, and by 2x..8x so
 *    that the entries projected over the table's wished life land at the
 *    middle of the band (a rising rate grows by more); it shrinks only
 *    after the load stayed below shrinkAt for `holdNs`, and doubles that hold
 *    each time a grow follows a shrink soon after (a flap), halving it again
 *    after a quiet period; -EBUSY in a trouble window, or time spent
 *    resizing above a share of it, double the hold and the life a grow is
 *    sized for (fewer, bigger resizes). A program's hint (expected
 *    entries, the talk's bpf_grow()) grows the table to fit them at once.
 */

export type ControllerKind = 'watermarks' | 'adaptive';
export const CONTROLLER_KINDS: readonly ControllerKind[] = ['watermarks', 'adaptive'];

export const DIR_NONE = 0;
export const DIR_GROW = 1;
export const DIR_SHRINK = 2;

/** Why a decision was made: the decision log's reason codes (stable numbers: they are stored in shared memory). */
export const REASONS = [
  'none', // 0: nothing to do
  'watermark-grow', // 1: entries above growAt
  'watermark-shrink', // 2: entries below shrinkAt
  'full', // 3: an idle table at 100% load grows whatever the controller says
  'trend-grow', // 4: adaptive: the projected entries pass growAt within the horizon
  'hold-shrink', // 5: adaptive: low load held for the hold time
  'hint', // 6: a program's or userspace's hint of the entries to expect
  'user-grow', // 7: grow() from a program or userspace
  'user-shrink', // 8: shrink() from a program or userspace
  'max-entries', // 9: setMaxEntries changed the bound (the log's old/new are entries, not buckets)
  'shrink-held', // 10: adaptive: a shrink the watermark would make, held back (counted, not logged each time)
  'backoff', // 11: adaptive: -EBUSY or resize time rose: the hold and the step widened
] as const;
export type Reason = (typeof REASONS)[number];
export const REASON_CODE: Record<Reason, number> = Object.fromEntries(REASONS.map((r, i) => [r, i])) as Record<Reason, number>;

/** One look at the map. Counters are cumulative since the map's creation. */
export interface ControllerSample {
  /** Monotonic time (ns). */
  nowNs: number;
  entries: number;
  /** Buckets of the current table (the map is idle when a controller is asked). */
  buckets: number;
  minBuckets: number;
  /** The most buckets the bound allows now. */
  maxBuckets: number;
  growAt: number;
  shrinkAt: number;
  /** -EBUSY returned so far. */
  ebusy: number;
  /** Resizes finished so far (grows + shrinks). */
  resizes: number;
  /** Time spent resizing so far (ns). */
  resizeNs: number;
  /** Entries a program or userspace said to expect soon (0: no hint). */
  hint: number;
}

export interface Decision {
  dir: number;
  /** Buckets of the table to resize to (the current count when dir is DIR_NONE). */
  toBuckets: number;
  reason: Reason;
}

/**
 * The adaptive controller's state: plain numbers, so that the map keeps it
 * in shared Float64 words (ADAPTIVE_STATE_WORDS of them, in this order).
 */
export interface AdaptiveState {
  /** Time of the last sample (0: none yet). */
  lastNs: number;
  lastEntries: number;
  lastEbusy: number;
  lastResizeNs: number;
  /** Net insert rate, entries per second (exponentially smoothed). */
  rate: number;
  /** Its trend, entries per second per second (smoothed). */
  accel: number;
  /** Since when the load has stayed below shrinkAt (0: it is not low). */
  lowSinceNs: number;
  /** How long a low load must last before a shrink (ns). */
  holdNs: number;
  /** Time of the last shrink this controller decided (0: none), to spot flaps. */
  lastShrinkNs: number;
  /** Time of the last backoff or flap (the hold decays after a quiet period). */
  lastTroubleNs: number;
  /** Doublings of the life a grow is sized for (0..MAX_EXTRA_STEPS), added by backoff. */
  extraSteps: number;
  /** The trouble window: its start, and the -EBUSY and resize time counted when it began. */
  winNs: number;
  winEbusy: number;
  winResizeNs: number;
}
export const ADAPTIVE_STATE_WORDS = 14;

export interface AdaptiveTuning {
  /**
   * The reaction horizon: a grow begins when the entries projected this far
   * ahead pass growAt. Twice the mean time a resize took, within
   * [minHorizonNs, maxHorizonNs] (firstHorizonNs before any resize).
   */
  firstHorizonNs: number;
  minHorizonNs: number;
  maxHorizonNs: number;
  /**
   * The life a grown table is sized for: the entries projected this far
   * ahead (rate and trend) land at the middle of the band, so an
   * accelerating insert rate makes each grow bigger (2x..8x). Doubled per
   * backoff step.
   */
  lifeNs: number;
  /** The first shrink hold (ns), and its bounds. */
  holdNs: number;
  maxHoldNs: number;
  /** Smoothing weight of a new rate sample (0..1]. */
  alpha: number;
  /**
   * Rates (and the trouble signs) are measured over at least this long: a
   * rate over microseconds (two writes in a row) is noise, and would
   * project a burst that is not there.
   */
  sampleNs: number;
  /** A share of wall time spent resizing above this, over a trouble window, is trouble. */
  resizeShare: number;
  /**
   * -EBUSY and time resizing are judged over windows of at least this long:
   * one big resize inside a few milliseconds is not "too frequent resizes".
   */
  troubleWindowNs: number;
}

export const DEFAULT_TUNING: AdaptiveTuning = {
  firstHorizonNs: 2e6,
  minHorizonNs: 1e6,
  maxHorizonNs: 10e6,
  lifeNs: 10e6,
  holdNs: 100e6,
  maxHoldNs: 10e9,
  alpha: 0.2,
  sampleNs: 5e6,
  resizeShare: 0.25,
  troubleWindowNs: 20e6,
};

/** Growth never asks for more than 2^MAX_STEPS times the buckets in one resize. */
const MAX_STEPS = 3;
/**
 * The adaptive controller's smallest grown table (4 KiB of buckets): a
 * table of a few buckets doubled one step at a time by one CPU while another
 * fills the next tiny table is where -EBUSY comes from at start-up; and
 * shrinks stop here (flapping among tiny tables saves a few KiB).
 */
export const ADAPTIVE_FLOOR_BUCKETS = 256;
const MAX_EXTRA_STEPS = 2;

export function initialAdaptiveState(t: AdaptiveTuning = DEFAULT_TUNING): AdaptiveState {
  return {
    lastNs: 0,
    lastEntries: 0,
    lastEbusy: 0,
    lastResizeNs: 0,
    rate: 0,
    accel: 0,
    lowSinceNs: 0,
    holdNs: t.holdNs,
    lastShrinkNs: 0,
    lastTroubleNs: 0,
    extraSteps: 0,
    winNs: 0,
    winEbusy: 0,
    winResizeNs: 0,
  };
}

/** The state's fields in their shared-word order (ADAPTIVE_STATE_WORDS of them). */
const STATE_FIELDS: readonly (keyof AdaptiveState)[] = [
  'lastNs',
  'lastEntries',
  'lastEbusy',
  'lastResizeNs',
  'rate',
  'accel',
  'lowSinceNs',
  'holdNs',
  'lastShrinkNs',
  'lastTroubleNs',
  'extraSteps',
  'winNs',
  'winEbusy',
  'winResizeNs',
];

export function saveAdaptiveState(s: AdaptiveState, out: Float64Array, at: number): void {
  STATE_FIELDS.forEach((f, i) => (out[at + i] = s[f]));
}

export function loadAdaptiveState(from: Float64Array, at: number, t: AdaptiveTuning = DEFAULT_TUNING): AdaptiveState {
  // A fresh shared area is all zeros: holdNs 0 means "never saved".
  if (from[at + STATE_FIELDS.indexOf('holdNs')] === 0) return initialAdaptiveState(t);
  const st = initialAdaptiveState(t);
  STATE_FIELDS.forEach((f, i) => (st[f] = from[at + i]!));
  return st;
}

const none = (s: ControllerSample): Decision => ({ dir: DIR_NONE, toBuckets: s.buckets, reason: 'none' });

/** rhashtable's watermarks, by 2x (the rule hash_resize v2 had). */
export function decideWatermarks(s: ControllerSample): Decision {
  const nb = s.buckets;
  if (s.entries > s.growAt * nb && nb < s.maxBuckets) return { dir: DIR_GROW, toBuckets: nb * 2, reason: 'watermark-grow' };
  if (s.entries < s.shrinkAt * nb && nb > s.minBuckets && s.entries <= (nb >>> 1) * s.growAt) return { dir: DIR_SHRINK, toBuckets: nb >>> 1, reason: 'watermark-shrink' };
  return none(s);
}

/**
 * The smallest power-of-two multiple of nb (by 2^1..2^MAX_STEPS, within
 * maxBuckets, and at least ADAPTIVE_FLOOR_BUCKETS when that is within the
 * steps) that keeps `entries` at or below `load`.
 */
function growTarget(nb: number, entries: number, load: number, minSteps: number, maxBuckets: number): number {
  let to = nb * 2 ** Math.max(1, minSteps);
  while (to < maxBuckets && (entries > load * to || to < ADAPTIVE_FLOOR_BUCKETS) && to < maxGrowTo(nb)) to *= 2;
  return Math.min(to, maxBuckets);
}

/**
 * The biggest table one grow from nb buckets may ask for: 2^MAX_STEPS times
 * nb, or the floor (a table of a few buckets goes there in one resize: at
 * start-up, a CPU descheduled while it migrates 4 buckets must not leave the
 * other CPUs a 32-bucket table to fill).
 */
export function maxGrowTo(nb: number): number {
  return Math.max(nb * 2 ** MAX_STEPS, ADAPTIVE_FLOOR_BUCKETS);
}

/** What an idle table at 100% load grows to under the adaptive controller (the map's FULL path): its decision when it grows, else 2x, never below the floor's steps. */
export function fullGrowTarget(nb: number, decided: number, maxBuckets: number): number {
  return Math.max(decided, growTarget(nb, 0, 1, 1, maxBuckets));
}

/**
 * The adaptive controller: one sample in, one decision out; `st` is updated
 * in place (the caller stores it back). A sample closer than t.sampleNs to
 * the last measured one reuses the rates.
 */
export function decideAdaptive(s: ControllerSample, st: AdaptiveState, t: AdaptiveTuning = DEFAULT_TUNING): Decision {
  const nb = s.buckets;
  const dtNs = st.lastNs === 0 ? 0 : s.nowNs - st.lastNs;
  let trouble = false;
  if (dtNs >= t.sampleNs) {
    const dt = dtNs / 1e9;
    const rate = (s.entries - st.lastEntries) / dt;
    const prevRate = st.rate;
    st.rate = st.rate === 0 && st.accel === 0 ? rate : t.alpha * rate + (1 - t.alpha) * st.rate;
    st.accel = t.alpha * ((st.rate - prevRate) / dt) + (1 - t.alpha) * st.accel;
  }
  if (st.winNs === 0) {
    st.winNs = s.nowNs;
    st.winEbusy = s.ebusy;
    st.winResizeNs = s.resizeNs;
  } else if (s.nowNs - st.winNs >= t.troubleWindowNs) {
    // Backoff: -EBUSY in the window, or resizing took more than its share of it.
    trouble = s.ebusy > st.winEbusy || (s.resizeNs - st.winResizeNs) / (s.nowNs - st.winNs) > t.resizeShare;
    st.winNs = s.nowNs;
    st.winEbusy = s.ebusy;
    st.winResizeNs = s.resizeNs;
  }
  if (dtNs >= t.sampleNs || st.lastNs === 0) {
    st.lastNs = s.nowNs;
    st.lastEntries = s.entries;
    st.lastEbusy = s.ebusy;
    st.lastResizeNs = s.resizeNs;
  }
  if (trouble) {
    st.extraSteps = Math.min(MAX_EXTRA_STEPS, st.extraSteps + 1);
    st.holdNs = Math.min(t.maxHoldNs, st.holdNs * 2);
    st.lastTroubleNs = s.nowNs;
  } else if (st.lastTroubleNs !== 0 && s.nowNs - st.lastTroubleNs > 4 * st.holdNs) {
    // A quiet period: the controller comes back towards its first settings.
    st.extraSteps = Math.max(0, st.extraSteps - 1);
    st.holdNs = Math.max(t.holdNs, st.holdNs / 2);
    st.lastTroubleNs = st.extraSteps === 0 && st.holdNs === t.holdNs ? 0 : s.nowNs;
  }

  // Where the band's middle is: a grow lands the load there, so that a
  // swing of either sign has room before the next resize.
  const mid = (s.growAt + s.shrinkAt) / 2;
  if (s.hint > 0 && s.hint > s.growAt * nb && nb < s.maxBuckets) {
    return { dir: DIR_GROW, toBuckets: growTarget(nb, s.hint, mid, 1, s.maxBuckets), reason: 'hint' };
  }
  const meanResizeNs = s.resizes > 0 ? s.resizeNs / s.resizes : 0;
  const horizonNs = meanResizeNs > 0 ? Math.min(t.maxHorizonNs, Math.max(t.minHorizonNs, 2 * meanResizeNs)) : t.firstHorizonNs;
  // The rate a reaction horizon ahead: the trend counts only over that short
  // horizon (a noisy trend projected far would ask for tables no load needs).
  // The trend adds at most the rate itself (a measured trend is noisy: a
  // collector's sweep deletes in bursts).
  const rate = Math.max(0, st.rate);
  const rateAhead = rate + Math.min(rate, Math.max(0, st.accel) * (horizonNs / 1e9));
  const ahead = (ns: number): number => s.entries + (rateAhead * ns) / 1e9;
  const projected = ahead(horizonNs);
  // Early (projected) grows only past the middle of the band: right after a
  // grow the rates of a burst, or of CPUs catching up after being descheduled,
  // would otherwise project one grow after another.
  if (nb < s.maxBuckets && (s.entries > s.growAt * nb || (s.entries > mid * nb && projected > s.growAt * nb))) {
    st.lowSinceNs = 0;
    // A grow soon after a shrink is a flap: shrinks wait twice as long from now on.
    if (st.lastShrinkNs !== 0 && s.nowNs - st.lastShrinkNs < 4 * st.holdNs) {
      st.holdNs = Math.min(t.maxHoldNs, st.holdNs * 2);
      st.lastTroubleNs = s.nowNs;
    }
    // One flap per shrink: the grows that follow it are growth, not flaps.
    st.lastShrinkNs = 0;
    const lasting = ahead(t.lifeNs * 2 ** st.extraSteps);
    return { dir: DIR_GROW, toBuckets: growTarget(nb, lasting, mid, 1, s.maxBuckets), reason: s.entries > s.growAt * nb ? 'watermark-grow' : 'trend-grow' };
  }
  const low = s.entries < s.shrinkAt * nb && nb > s.minBuckets && s.entries <= (nb >>> 1) * s.growAt && st.rate <= 0;
  if (!low) {
    st.lowSinceNs = 0;
    return none(s);
  }
  if (st.lowSinceNs === 0) st.lowSinceNs = s.nowNs;
  if (s.nowNs - st.lowSinceNs < st.holdNs) return { dir: DIR_NONE, toBuckets: nb, reason: 'shrink-held' };
  // Shrink to the smallest table whose load stays at or below the middle of
  // the band, not below the floor (a table at or under it may go lower).
  const floor = nb > ADAPTIVE_FLOOR_BUCKETS ? ADAPTIVE_FLOOR_BUCKETS : s.minBuckets;
  if (nb >>> 1 < floor) {
    st.lowSinceNs = 0;
    return none(s);
  }
  let to = nb >>> 1;
  while (to > floor && s.entries <= mid * (to >>> 1)) to >>>= 1;
  st.lowSinceNs = 0;
  st.lastShrinkNs = s.nowNs;
  return { dir: DIR_SHRINK, toBuckets: to, reason: 'hold-shrink' };
}

/** A decision as the log keeps it. */
export interface DecisionRecord {
  seq: number;
  /** hrtime ns of the decision. */
  timeNs: number;
  reason: Reason;
  /** Buckets before and after (for 'max-entries': the bound before and after). */
  from: number;
  to: number;
  entries: number;
}
