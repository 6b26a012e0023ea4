import { describe, expect, it } from 'vitest';
import { check, isAnyOf, isArray, isLiteral, isNullable, isNumber, isObject, isRecord, isString } from '../src/report/validate.js';

describe('the validator building blocks', () => {
  const point = isObject({ x: isNumber(), y: isNumber({ min: 0, integer: true }) }, { label: isString() });

  it('accepts a valid value with no messages', () => {
    expect(check(point, { x: 1.5, y: 2, label: 'a' })).toEqual([]);
    expect(check(point, { x: 1.5, y: 2 })).toEqual([]);
  });

  it('names the path of each problem', () => {
    expect(check(isArray(point), [{ x: 1, y: 1 }, { x: 'a', y: -1.5 }])).toEqual([
      '$[1].x: expected a finite number, got "a"',
      '$[1].y: expected an integer, got -1.5',
      '$[1].y: expected >= 0, got -1.5',
    ]);
  });

  it('reports missing and unknown properties', () => {
    expect(check(point, { x: 1, z: 2 })).toEqual(['$.y: missing', '$.z: unknown property']);
  });

  it('refuses NaN and Infinity as numbers', () => {
    expect(check(isNumber(), Number.NaN)).toHaveLength(1);
    expect(check(isNumber(), Number.POSITIVE_INFINITY)).toHaveLength(1);
  });

  it('combines: nullable, literal, any-of, record', () => {
    expect(check(isNullable(isNumber()), null)).toEqual([]);
    expect(check(isLiteral('a', 'b'), 'c')).toHaveLength(1);
    expect(check(isAnyOf(isString(), isNumber()), 3)).toEqual([]);
    expect(check(isAnyOf(isString(), isNumber()), true)).toHaveLength(1);
    expect(check(isRecord(isNumber()), { a: 1, b: 'x' })).toEqual(['$.b: expected a finite number, got "x"']);
  });
});
