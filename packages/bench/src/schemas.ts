import { EXPERIMENT_SCHEMA, experimentReportSchema } from './experiment/report/result.js';
import { scenarioFileSchema } from './experiment/scenario/scenario.js';
import { BENCH_SCHEMA, benchResultSchema } from './report/bench-result.js';

/**
 * The JSON Schema of each result file and of scenario files, by the file
 * name it is published under in packages/bench/schemas/ (written by
 * scripts/write-schemas.mjs, held equal to these by a test), for users'
 * editors and scripts. Here, above every folder, because it gathers the
 * schemas of several.
 */
export function publishedSchemas(): Record<string, unknown> {
  const doc = (title: string, schema: object) => ({ $schema: 'http://json-schema.org/draft-07/schema#', title, ...schema });
  return {
    'bench-result.schema.json': doc(`rightsize suite result (${BENCH_SCHEMA})`, benchResultSchema),
    'experiment-result.schema.json': doc(`rightsize experiment result (${EXPERIMENT_SCHEMA})`, experimentReportSchema),
    'scenario.schema.json': doc('rightsize experiment scenario (packages/bench/scenarios/, EXPERIMENT.md)', scenarioFileSchema),
  };
}

/** A schema as its file holds it: JSON with two-space indents and a final newline. */
export function schemaFileText(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
