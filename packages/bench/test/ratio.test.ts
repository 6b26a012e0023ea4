import { describe, expect, it } from 'vitest';
import { nsPerOp, perMillion, ratio } from '../src/harness/ratio.js';

describe('ratio arithmetic', () => {
  it('divides two throughputs', () => {
    expect(ratio(30e6, 50e6)).toBeCloseTo(0.6);
    expect(ratio(0, 10)).toBe(0);
  });

  it('is null, never NaN or Infinity, when the figure means nothing', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 1)).toBeNull();
    expect(ratio(1, undefined)).toBeNull();
    expect(ratio(Number.NaN, 1)).toBeNull();
    expect(ratio(1, Number.POSITIVE_INFINITY)).toBeNull();
    expect(ratio(-1, 2)).toBeNull();
  });

  it('turns ops/s into ns per operation', () => {
    expect(nsPerOp(50e6)).toBeCloseTo(20);
    expect(nsPerOp(0)).toBeNull();
  });

  it('quotes a count per million operations', () => {
    expect(perMillion(3, 2e6)).toBeCloseTo(1.5);
    expect(perMillion(0, 5)).toBe(0);
    expect(perMillion(1, 0)).toBeNull();
  });
});
