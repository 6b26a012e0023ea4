import { describe, expect, it } from 'vitest';
import { quantileSorted, relativeSpread, summarize } from '../src/harness/summary.js';

describe('summarize (median and spread of repetitions)', () => {
  it('takes the middle value of an odd count, whatever the input order', () => {
    const s = summarize([30, 10, 20, 50, 40]);
    expect(s).toEqual({ n: 5, median: 30, min: 10, max: 50, q1: 20, q3: 40, mean: 30 });
  });

  it('interpolates the median and quartiles of an even count', () => {
    const s = summarize([4, 1, 3, 2]);
    expect(s.median).toBe(2.5);
    expect(s.q1).toBe(1.75);
    expect(s.q3).toBe(3.25);
    expect(s.min).toBe(1);
    expect(s.max).toBe(4);
  });

  it('summarises a single repetition as itself, with no spread', () => {
    const s = summarize([7]);
    expect(s).toMatchObject({ n: 1, median: 7, min: 7, max: 7, q1: 7, q3: 7 });
    expect(relativeSpread(s)).toBe(0);
  });

  it('does not reorder the caller array', () => {
    const v = [3, 1, 2];
    summarize(v);
    expect(v).toEqual([3, 1, 2]);
  });

  it('reports the min-max spread relative to the median', () => {
    expect(relativeSpread(summarize([90, 100, 110]))).toBeCloseTo(0.2);
  });

  it('refuses no values, NaN and infinities', () => {
    expect(() => summarize([])).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
    expect(() => summarize([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });

  it('refuses a quantile outside [0, 1]', () => {
    expect(() => quantileSorted([1, 2], 1.5)).toThrow(RangeError);
    expect(quantileSorted([1, 2], 0)).toBe(1);
    expect(quantileSorted([1, 2], 1)).toBe(2);
  });
});
