import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Command } from 'commander';
import { assertBenchResult } from '../report/bench-result.js';
import { writeReport } from '../report/files.js';
import type { CliCommand } from '../cli/command.js';
import { SUITES } from './registry.js';
import type { SuiteName } from './plan.js';

/** Re-renders a result file: checks it against the schema, prints its report, writes its Markdown and charts again. */
export const reportCommand: CliCommand = {
  register(program) {
    program.addCommand(
      new Command('report')
        .description('check a result file (results/<suite>-<time>.json) against the schema and render its tables and charts again')
        .argument('<file>', 'a result JSON file')
        .option('--no-write', 'print only')
        .action(async (file: string, f: { write: boolean }) => {
          const result: unknown = JSON.parse(await readFile(file, 'utf8'));
          assertBenchResult(result);
          const suite = SUITES[result.suite as SuiteName];
          if (!suite) throw new TypeError(`${file}: unknown suite ${JSON.stringify(result.suite)}`);
          process.stdout.write(`${suite.markdown(result, () => null)}\n`);
          if (!f.write) return;
          const svgs = await suite.charts(result);
          const base = basename(file).replace(/\.json$/, '');
          // Not copied to latest/: an older file rendered again must not pass for the latest run.
          const written = await writeReport(dirname(file), base, null, {
            json: result,
            markdown: (chartFile) => suite.markdown(result, (name) => (name in svgs ? chartFile(name) : null)),
            svgs,
          });
          process.stdout.write(`\nwrote ${written.markdown} and ${written.svgs.length} charts\n`);
        }),
    );
  },
};
