import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { CliCommand } from '../cli/command.js';
import { parseCount, parseMs } from '../cli/parse.js';
import { soakDefaults, type SoakOptions } from './options.js';
import { runSoak } from './run-soak.js';
import { soakMarkdown } from './report.js';

interface SoakFlags {
  minutes?: number;
  seconds?: number;
  cpus?: number;
  killEvery?: number;
  kills: boolean;
  verifyEvery?: number;
  seed?: number;
  json?: string;
}

function parseMinutes(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${text}" is not a positive number of minutes`);
  return n;
}

/** The options a command line asks for (commander's camel-cased flags). */
export function soakOptions(f: SoakFlags): SoakOptions {
  const seconds = f.seconds ?? (f.minutes !== undefined ? Math.round(f.minutes * 60) : undefined);
  return soakDefaults({
    ...(seconds !== undefined ? { seconds } : {}),
    ...(f.cpus !== undefined ? { cpus: f.cpus } : {}),
    ...(f.killEvery !== undefined ? { killEveryMs: f.killEvery } : {}),
    ...(!f.kills ? { killEveryMs: 0 } : {}),
    ...(f.verifyEvery !== undefined ? { verifyEveryMs: f.verifyEvery } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
  });
}

/**
 * `soak`: every map type under mixed concurrent load, CPUs killed and
 * replaced, periodic consistency checks; prints progress and a report, and
 * exits non-zero on any violation.
 */
export const soakCommand: CliCommand = {
  register(program: Command): void {
    program
      .command('soak')
      .description('every map type under mixed load on all cores, CPUs killed at random, maps verified periodically (exit 1 on any violation)')
      .option('--minutes <n>', 'length of the run in minutes (default 1)', parseMinutes)
      .option('--seconds <n>', 'length of the run in seconds (overrides --minutes)', parseCount)
      .option('--cpus <n>', 'CPU workers (default: the cores)', parseCount)
      .option('--kill-every <ms>', 'mean time between two CPU kills', parseMs)
      .option('--no-kills', 'kill no CPU')
      .option('--verify-every <ms>', 'time between two verify pauses', parseMs)
      .option('--seed <n>', 'seed of the random operations', parseCount)
      .option('--json <file>', 'also write the report as JSON')
      .action(async (f: SoakFlags) => {
        const opts = soakOptions(f);
        const report = await runSoak(opts, (line) => process.stderr.write(`${line}\n`));
        process.stdout.write(`\n${soakMarkdown(report)}\n`);
        if (f.json) await writeFile(f.json, `${JSON.stringify(report, null, 2)}\n`);
        if (report.violations.length > 0) process.exitCode = 1;
      });
  },
};
