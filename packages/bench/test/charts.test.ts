import { describe, expect, it } from 'vitest';
import { barChartSvg, lineChartSvg } from '../src/report/charts.js';
import { svgProblems } from './support/svg.js';

const bars = [
  { subject: 'hash', cpus: '1 CPU', mops: 30, lo: 28, hi: 31, loop: 'lookups only' },
  { subject: 'hash', cpus: '2 CPUs', mops: 55, lo: 50, hi: 57, loop: 'lookups only' },
  { subject: 'lru_hash', cpus: '1 CPU', mops: 20, lo: 19, hi: 22, loop: 'mixer 10' },
];

describe('SVG charts (vega-lite compiled, rendered headless by vega)', () => {
  it('draws grouped bars with whiskers and panels as one well-formed SVG, one bar per datum', async () => {
    const svg = await barChartSvg({ title: 'Map operations per second', data: bars, x: 'subject', y: 'mops', yTitle: 'M ops/s', group: 'cpus', column: 'loop', errorLow: 'lo', errorHigh: 'hi' });
    expect(svgProblems(svg)).toEqual([]);
    expect(svg).toContain('Map operations per second');
    expect(svg).toContain('M ops/s');
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(bars.length);
  });

  it('draws one line per series with a point per datum', async () => {
    const data = [
      { cpus: 1, mops: 30, subject: 'hash' },
      { cpus: 2, mops: 55, subject: 'hash' },
      { cpus: 1, mops: 20, subject: 'lru_hash' },
      { cpus: 2, mops: 35, subject: 'lru_hash' },
    ];
    const svg = await lineChartSvg({ title: 'Scaling', data, x: 'cpus', y: 'mops', color: 'subject' });
    expect(svgProblems(svg)).toEqual([]);
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(2);
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(4);
  });

  it('refuses to draw no data', async () => {
    await expect(barChartSvg({ title: 'empty', data: [], x: 'a', y: 'b' })).rejects.toThrow(RangeError);
  });
});
