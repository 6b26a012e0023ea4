import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { Int, Nullable, Strict, check } from '../src/report/validate.js';

describe('schema messages', () => {
  const point = Strict({ x: Type.Number(), y: Int({ minimum: 0 }), label: Type.Optional(Type.String()) });

  it('accepts a valid value with no messages', () => {
    expect(check(point, { x: 1.5, y: 2, label: 'a' })).toEqual([]);
    expect(check(point, { x: 1.5, y: 2 })).toEqual([]);
  });

  it('names the path of each problem', () => {
    expect(check(Type.Array(point), [{ x: 1, y: 1 }, { x: 'a', y: -1.5 }])).toEqual([
      '$[1].x: expected a finite number, got "a"',
      '$[1].y: expected an integer, got -1.5',
      '$[1].y: expected >= 0, got -1.5',
    ]);
  });

  it('reports missing and unknown properties', () => {
    expect(check(point, { x: 1, z: 2 })).toEqual(['$.y: missing', '$.z: unknown property']);
  });

  it('refuses NaN and Infinity as numbers', () => {
    expect(check(Type.Number(), Number.NaN)).toHaveLength(1);
    expect(check(Type.Number(), Number.POSITIVE_INFINITY)).toHaveLength(1);
  });

  it('combines: nullable, literal, any-of, record', () => {
    expect(check(Nullable(Type.Number()), null)).toEqual([]);
    expect(check(Type.Union([Type.Literal('a'), Type.Literal('b')]), 'c')).toHaveLength(1);
    expect(check(Type.Union([Type.String(), Type.Number()]), 3)).toEqual([]);
    expect(check(Type.Union([Type.String(), Type.Number()]), true)).toHaveLength(1);
    expect(check(Type.Record(Type.String(), Type.Number()), { a: 1, b: 'x' })).toEqual(['$.b: expected a finite number, got "x"']);
  });
});
