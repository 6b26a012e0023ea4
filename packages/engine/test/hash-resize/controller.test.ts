import { describe, expect, it } from 'vitest';
import {
  DIR_GROW, DIR_NONE, DIR_SHRINK, DEFAULT_TUNING, decideAdaptive, decideWatermarks, initialAdaptiveState, loadAdaptiveState, saveAdaptiveState,
  ADAPTIVE_FLOOR_BUCKETS, ADAPTIVE_STATE_WORDS, fullGrowTarget, type ControllerSample, type Decision,
} from '../../src/maps/hash-resize/controller.js';

const MS = 1e6;

function sample(over: Partial<ControllerSample>): ControllerSample {
  return { nowNs: 0, entries: 0, buckets: 1024, minBuckets: 4, maxBuckets: 1 << 20, growAt: 0.75, shrinkAt: 0.3, ebusy: 0, resizes: 0, resizeNs: 0, hint: 0, ...over };
}

/**
 * Runs the adaptive controller over a scripted series of entry counts, one
 * sample per `stepMs`, carrying out each decision (the table takes the new
 * size at once, as a finished resize would). Returns the decisions made.
 */
function script(
  entries: number[],
  stepMs: number,
  start: Partial<ControllerSample> = {},
  extra: (i: number) => Partial<ControllerSample> = () => ({}),
): { decisions: (Decision & { i: number })[]; buckets: number[] } {
  const st = initialAdaptiveState();
  let buckets = start.buckets ?? 1024;
  const decisions: (Decision & { i: number })[] = [];
  const seen: number[] = [];
  entries.forEach((e, i) => {
    const d = decideAdaptive(sample({ ...start, nowNs: 1e9 + i * stepMs * MS, entries: e, buckets, ...extra(i) }), st);
    if (d.dir !== DIR_NONE) {
      decisions.push({ ...d, i });
      buckets = d.toBuckets;
    }
    seen.push(buckets);
  });
  return { decisions, buckets: seen };
}

describe('watermarks controller (rhashtable 75/30, by 2x)', () => {
  it('grows above 75%, shrinks below 30% when the half table stays below 75%, else nothing', () => {
    expect(decideWatermarks(sample({ entries: 769 }))).toEqual({ dir: DIR_GROW, toBuckets: 2048, reason: 'watermark-grow' });
    expect(decideWatermarks(sample({ entries: 768 })).dir).toBe(DIR_NONE);
    expect(decideWatermarks(sample({ entries: 308 })).dir).toBe(DIR_NONE);
    expect(decideWatermarks(sample({ entries: 307 }))).toEqual({ dir: DIR_SHRINK, toBuckets: 512, reason: 'watermark-shrink' });
    expect(decideWatermarks(sample({ entries: 3, buckets: 4 })).dir).toBe(DIR_NONE);
    expect(decideWatermarks(sample({ entries: 4000, maxBuckets: 1024 })).dir).toBe(DIR_NONE);
  });
});

describe('adaptive controller, on scripted inputs', () => {
  it('hysteresis: a load that swings inside its band (and below shrinkAt for less than the hold) never resizes, either way', () => {
    // 1024 buckets; the load swings 0.25..0.70 with a 120 ms period: below
    // shrinkAt (0.30) for about 14 ms at a time, under the 100 ms hold.
    const entries = Array.from({ length: 2000 }, (_, i) => Math.round(1024 * (0.475 + 0.225 * Math.sin((2 * Math.PI * i) / 60))));
    expect(Math.min(...entries)).toBeLessThan(0.3 * 1024);
    const { decisions } = script(entries, 2);
    expect(decisions).toEqual([]);
    // The watermarks alone shrink at the first trough and grow back at the next crest: they flap.
    let buckets = 1024;
    let flips = 0;
    for (const e of entries) {
      const d = decideWatermarks(sample({ entries: e, buckets }));
      if (d.dir !== DIR_NONE) {
        flips++;
        buckets = d.toBuckets;
      }
    }
    expect(flips).toBeGreaterThan(20);
  });

  it('a load that stays low shrinks once the hold passed, to the smallest table that keeps it in the band', () => {
    const entries = Array.from({ length: 300 }, () => 100);
    const { decisions } = script(entries, 1);
    // Sampled every millisecond, the rates are measured every second sample (t.sampleNs); the hold counts in time.
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.reason).toBe('hold-shrink');
    expect(decisions[0]!.dir).toBe(DIR_SHRINK);
    expect(decisions[0]!.i).toBeGreaterThanOrEqual(DEFAULT_TUNING.holdNs / MS);
    // 100 entries at <= 0.525 load: 256 buckets (100/128 would pass the middle).
    expect(decisions[0]!.toBuckets).toBe(256);
  });

  it('growth accelerates under an accelerating insert rate: earlier (below the watermark) and by more than 2x', () => {
    // Entries grow quadratically: the rate rises every millisecond.
    const entries = Array.from({ length: 120 }, (_, i) => Math.round(10 * i * i));
    const { decisions } = script(entries, 2, { buckets: 256 });
    const grows = decisions.filter((d) => d.dir === DIR_GROW);
    expect(grows.length).toBe(decisions.length);
    const factors = grows.map((d, k) => d.toBuckets / (k === 0 ? 256 : grows[k - 1]!.toBuckets));
    // Grows come before the watermark (the projection) and take more than 2x.
    expect(grows.some((d) => d.reason === 'trend-grow')).toBe(true);
    expect(Math.max(...factors)).toBeGreaterThan(2);
    // The table never fell behind: each grow happened at or below 100% load of the table it left.
    grows.forEach((d, k) => expect(entries[d.i]!).toBeLessThanOrEqual(k === 0 ? 256 : grows[k - 1]!.toBuckets));
    // Fewer resizes than the watermarks need for the same series.
    let buckets = 256;
    let wm = 0;
    for (const e of entries) {
      const d = decideWatermarks(sample({ entries: e, buckets }));
      if (d.dir !== DIR_NONE) {
        wm++;
        buckets = d.toBuckets;
      }
    }
    expect(grows.length).toBeLessThan(wm);
    // A slow steady rate (small beside the table) grows by 2x only, at the watermark.
    const steady = script(Array.from({ length: 3000 }, (_, i) => 300 + Math.floor(i / 4)), 2, { buckets: 512 });
    expect(steady.decisions.length).toBeGreaterThan(0);
    let from = 512;
    for (const d of steady.decisions) {
      expect(d).toMatchObject({ dir: DIR_GROW, toBuckets: 2 * from });
      from = d.toBuckets;
    }
  });

  it('backs off when -EBUSY rises: the shrink hold doubles, grows are sized for a longer life', () => {
    const run = (ebusy: number): { st: ReturnType<typeof initialAdaptiveState>; d: Decision } => {
      const st = initialAdaptiveState();
      decideAdaptive(sample({ nowNs: 1e9, entries: 500 }), st);
      decideAdaptive(sample({ nowNs: 1e9 + 10 * MS, entries: 500, ebusy }), st);
      // Judged over a trouble window (20 ms): not yet.
      expect(st.holdNs).toBe(DEFAULT_TUNING.holdNs);
      decideAdaptive(sample({ nowNs: 1e9 + 20 * MS, entries: 500, ebusy }), st);
      // Entries arriving fast: 500 in 6 ms.
      const d = decideAdaptive(sample({ nowNs: 1e9 + 26 * MS, entries: 1000, ebusy }), st);
      return { st, d };
    };
    const hold0 = DEFAULT_TUNING.holdNs;
    const busy = run(10);
    expect(busy.st.holdNs).toBe(2 * hold0);
    expect(busy.st.extraSteps).toBe(1);
    const calm = run(0);
    expect(calm.st.holdNs).toBe(hold0);
    expect(busy.d.dir).toBe(DIR_GROW);
    expect(calm.d.dir).toBe(DIR_GROW);
    // The same rate, backed off: a bigger table (fewer resizes to come).
    expect(busy.d.toBuckets).toBeGreaterThan(calm.d.toBuckets);
    // Time spent resizing above its share backs off too.
    const st2 = initialAdaptiveState();
    decideAdaptive(sample({ nowNs: 1e9, entries: 500 }), st2);
    decideAdaptive(sample({ nowNs: 1e9 + 20 * MS, entries: 500, resizeNs: 6 * MS }), st2);
    expect(st2.holdNs).toBe(2 * hold0);
    // After a quiet period the hold comes back down.
    for (let i = 1; i <= 40; i++) decideAdaptive(sample({ nowNs: 1e9 + 20 * MS + i * 50 * MS, entries: 500, resizeNs: 6 * MS }), st2);
    expect(st2.holdNs).toBe(hold0);
  });

  it('a flap (a grow soon after a shrink) doubles the hold', () => {
    const st = initialAdaptiveState();
    let t = 1e9;
    let buckets = 1024;
    for (let i = 0; i < 200; i++) {
      const d = decideAdaptive(sample({ nowNs: (t += MS), entries: 100, buckets }), st);
      if (d.dir !== DIR_NONE) buckets = d.toBuckets;
    }
    expect(buckets).toBe(256);
    const hold = st.holdNs;
    const d = decideAdaptive(sample({ nowNs: (t += MS), entries: 250, buckets }), st);
    expect(d.dir).toBe(DIR_GROW);
    expect(st.holdNs).toBe(2 * hold);
  });

  it('a hint grows the table to fit the hinted entries at once; the watermarks ignore hints', () => {
    const st = initialAdaptiveState();
    const d = decideAdaptive(sample({ nowNs: 1e9, entries: 30, buckets: 64, hint: 3000 }), st);
    expect(d).toMatchObject({ dir: DIR_GROW, reason: 'hint' });
    // At most 8x in one resize; the next decision continues.
    expect(d.toBuckets).toBe(512);
    expect(decideWatermarks(sample({ entries: 30, buckets: 64, hint: 3000 })).dir).toBe(DIR_NONE);
  });

  it('a tiny table grows straight to the floor (256 buckets) in one resize', () => {
    expect(decideAdaptive(sample({ nowNs: 1e9, entries: 4, buckets: 4 }), initialAdaptiveState())).toMatchObject({ dir: DIR_GROW, toBuckets: ADAPTIVE_FLOOR_BUCKETS });
    expect(fullGrowTarget(4, 0, 1 << 20)).toBe(ADAPTIVE_FLOOR_BUCKETS);
    expect(fullGrowTarget(4, 0, 64)).toBe(64);
    // Past the floor, a full table with no decision doubles; a decision stands.
    expect(fullGrowTarget(1024, 0, 1 << 20)).toBe(2048);
    expect(fullGrowTarget(1024, 8192, 1 << 20)).toBe(8192);
  });

  it('its state round-trips through the shared Float64 words', () => {
    const st = initialAdaptiveState();
    decideAdaptive(sample({ nowNs: 1e9, entries: 10 }), st);
    decideAdaptive(sample({ nowNs: 1e9 + 2 * MS, entries: 50 }), st);
    const f = new Float64Array(ADAPTIVE_STATE_WORDS);
    saveAdaptiveState(st, f, 0);
    expect(loadAdaptiveState(f, 0)).toEqual(st);
    expect(loadAdaptiveState(new Float64Array(ADAPTIVE_STATE_WORDS), 0)).toEqual(initialAdaptiveState());
  });
});
