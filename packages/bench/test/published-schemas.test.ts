import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publishedSchemas, schemaFileText } from '../src/schemas.js';

const dir = new URL('../schemas/', import.meta.url);

describe('the published JSON Schemas of result files', () => {
  const schemas = publishedSchemas();

  it('are the files in schemas/, no more, no fewer', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(Object.keys(schemas))('%s equals the schema the bench checks with (regenerate: node packages/bench/scripts/write-schemas.mjs)', (name) => {
    expect(readFileSync(new URL(name, dir), 'utf8')).toBe(schemaFileText(schemas[name]));
  });
});
