// Writes packages/bench/schemas/*.json from the TypeBox schemas the bench
// checks result files and scenario files with. Run after `pnpm build`:
//   node packages/bench/scripts/write-schemas.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { publishedSchemas, schemaFileText } from '../dist/schemas.js';

const dir = new URL('../schemas/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(publishedSchemas())) {
  writeFileSync(new URL(name, dir), schemaFileText(schema));
  console.log(`wrote schemas/${name}`);
}
