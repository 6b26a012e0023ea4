import { describe, expect, it } from 'vitest';
import { experimentCharts } from '../../src/experiment/charts.js';
import { experimentMarkdown } from '../../src/experiment/report/markdown.js';
import { buildReport, validateExperimentReport } from '../../src/experiment/report/result.js';
import { runSmall } from './support/small.js';

// What a run writes: a JSON file that checks itself (shapes and the
// accounting identities), the Markdown table, and the SVG charts.
describe('the experiment report', () => {
  it('a run gives a valid JSON report, a table naming every strategy, and four SVG charts; a tampered report is refused', async () => {
    const r = await runSmall(['hash-normal', 'resize-help']);
    const report = JSON.parse(JSON.stringify(buildReport(r, 'test'))) as ReturnType<typeof buildReport>;
    expect(validateExperimentReport(report)).toEqual([]);

    const md = experimentMarkdown(report, (name) => `x-${name}.svg`);
    for (const id of ['hash-normal', 'resize-help']) expect(md).toContain(`| ${id}`);
    expect(md).toContain('new flows refused');
    expect(md).toContain('![memory](x-memory.svg)');

    const svgs = await experimentCharts(report);
    // 'buckets': the table size and resize decisions of the hash_resize strategies (issue 17).
    expect(Object.keys(svgs).sort()).toEqual(['buckets', 'drops', 'entries', 'memory', 'outcomes']);
    expect(md).toContain('Resize dynamics (hash_resize)');
    for (const svg of Object.values(svgs)) expect(svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(svgs.memory).toContain('resize-help');

    report.strategies[0]!.cpus[0]!.total.accepted += 1;
    const errors = validateExperimentReport(report);
    expect(errors.some((e) => e.startsWith('$.strategies[0].cpus[0].total'))).toBe(true);
  }, 120_000);
});
