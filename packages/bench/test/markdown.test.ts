import { describe, expect, it } from 'vitest';
import { formatCount, formatRate, formatRatio } from '../src/report/format.js';
import { markdownTable } from '../src/report/markdown.js';

describe('Markdown tables and number formats', () => {
  it('pads columns, aligns as told, and shows a missing cell as a dash', () => {
    const t = markdownTable(['map', { header: 'ops/s', align: 'right' }], [
      ['hash', '30.1 M'],
      ['lru_hash', null],
    ]);
    expect(t.split('\n')).toEqual(['| map      |  ops/s |', '| -------- | -----: |', '| hash     | 30.1 M |', '| lru_hash |      – |']);
  });

  it('escapes pipes and line breaks inside cells', () => {
    expect(markdownTable(['id'], [['a | b\nc']])).toContain('a \\| b c');
  });

  it('refuses a row of the wrong width', () => {
    expect(() => markdownTable(['a', 'b'], [['x']])).toThrow(RangeError);
  });

  it('formats rates, ratios and counts compactly', () => {
    expect(formatRate(23_456_789)).toBe('23.5 M');
    expect(formatRate(812_000)).toBe('812 k');
    expect(formatRate(null)).toBe('–');
    expect(formatRatio(0.6234)).toBe('0.62');
    expect(formatRatio(18.26)).toBe('18.3');
    expect(formatRatio(Number.NaN)).toBe('–');
    expect(formatCount(65536)).toBe('64Ki');
    expect(formatCount(4 * 2 ** 20)).toBe('4Mi');
    expect(formatCount(1000)).toBe('1000');
  });
});
