import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../src/experiment/scenario/scenario.js';
import { publishedSchemas, schemaFileText } from '../src/schemas.js';

const dir = new URL('../schemas/', import.meta.url);

describe('the published JSON Schemas of result files and scenario files', () => {
  const schemas = publishedSchemas();

  it('are the files in schemas/, no more, no fewer', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(Object.keys(schemas))('%s equals the schema the bench checks with (regenerate: node packages/bench/scripts/write-schemas.mjs)', (name) => {
    expect(readFileSync(new URL(name, dir), 'utf8')).toBe(schemaFileText(schemas[name]));
  });

  it('scenario.schema.json gives as defaults what validateScenario fills in for a field left out', () => {
    type Props = Record<string, { default?: unknown; properties?: Props; anyOf?: { properties?: Props }[] }>;
    const props = (JSON.parse(readFileSync(new URL('scenario.schema.json', dir), 'utf8')) as { properties: Props }).properties;
    const defaults = (p: Props) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.default]));
    const s = validateScenario({
      name: 'minimal',
      kind: 'conntrack',
      seed: 1,
      flows: { packets: { min: 2, alpha: 1.5, max: 20 }, intervalTicks: { min: 1, max: 4 }, closeFraction: 0.5 },
      phases: [{ name: 'only', ticks: 10, newFlowsPerTick: 1 }],
      sizing: { normal: 10, worstCase: 100 },
      gc: { idleTimeoutTicks: 8, everyTicks: 4 },
      bound: { initial: 10, raiseAt: 0.5, factor: 2 },
    });
    expect(s.description).toBe(props.description!.default);
    expect(s.sampleEveryMs).toBe(props.sampleEveryMs!.default);
    expect(s.sizing.overflow).toBe(props.sizing!.properties!.overflow!.default);
    expect(s.resize).toEqual(defaults(props.resize!.properties!));
    expect(s.bound!.everyMs).toBe(props.bound!.anyOf![0]!.properties!.everyMs!.default);
  });
});
