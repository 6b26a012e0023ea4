import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { EbusyPolicy } from '@rightsize/engine';
import type { CliCommand } from '../cli/command.js';
import { parseCount, parseList, parseMs } from '../cli/parse.js';
import type { KeyOrder } from '../harness/keys.js';
import { createProgress, type ProgressMode } from '../harness/progress.js';
import type { Goal } from '../report/bench-result.js';
import { section } from '../report/markdown.js';
import { goalsTable, mergeGoals } from './goals.js';
import type { Mixer, SuiteOptions } from './options.js';
import type { Suite } from './plan.js';
import { DEFAULT_SUITE, SUITE_NAMES, SUITES } from './registry.js';
import { runSuite } from './run-suite.js';

/** What the suite options on the command line become (commander's camel-cased names). */
interface SuiteFlags {
  quick?: boolean;
  entries?: number[];
  values?: number[];
  mixers?: SuiteOptions['mixers'];
  cpus?: number[];
  reps?: number;
  duration?: number;
  warmup?: number;
  batch?: number;
  seed?: number;
  orders?: SuiteOptions['orders'];
  policies?: SuiteOptions['policies'];
  only?: string[];
  out: string;
  write: boolean;
  charts: boolean;
  progress: ProgressMode;
}

export function parseMixer(text: string): Mixer {
  if (text === 'lookup' || text === 'lookups') return 'lookup';
  const n = parseCount(text);
  if (n < 1) throw new InvalidArgumentError(`mixer "${text}" must be 'lookup' or a positive integer`);
  return n;
}

export function parseOrder(text: string): KeyOrder {
  if (text === 'sequential' || text === 'shuffled') return text;
  throw new InvalidArgumentError(`key order "${text}" must be sequential or shuffled`);
}

export function parsePolicy(text: string): EbusyPolicy {
  if (text === 'fail' || text === 'retry' || text === 'help') return text;
  throw new InvalidArgumentError(`EBUSY policy "${text}" must be fail, retry or help`);
}

function addSuiteOptions(cmd: Command): Command {
  return cmd
    .option('--quick', 'a short run: fewer sizes, repetitions and shorter runs (the default suite in under 2 minutes on 2 cores)')
    .option('--entries <list>', 'entries per map, e.g. 64Ki,4Mi', parseList(parseCount))
    .option('--values <list>', 'value sizes in bytes, e.g. 4,50', parseList(parseCount))
    .option('--mixers <list>', "loops: 'lookup' (lookups only) or n (update every n-th iteration), e.g. lookup,100,10,1", parseList(parseMixer))
    .option('--cpus <list>', 'CPU counts, e.g. 1,2 (default 1..cores)', parseList(parseCount))
    .option('--reps <n>', 'repetitions of each measurement', parseCount)
    .option('--duration <ms>', 'timed length of one repetition', parseMs)
    .option('--warmup <ops>', 'untimed loop iterations per CPU before each repetition', parseCount)
    .option('--batch <n>', 'loop iterations per event', parseCount)
    .option('--seed <n>', 'seed of the key orders', parseCount)
    .option('--orders <list>', 'key orders for the arrays suite: sequential,shuffled', parseList(parseOrder))
    .option('--policies <list>', 'EBUSY policies for the resize suite: fail,retry,help', parseList(parsePolicy))
    .option('--only <subjects>', 'only these map subjects, e.g. "hash,hash_resize" (references always run)', parseList(String))
    .option('--out <dir>', 'directory for the result files', 'results')
    .option('--no-write', 'print only, write no files')
    .option('--no-charts', 'write no SVG charts')
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain', 'silent']).default('auto'));
}

/** A suite's defaults with the command line's overrides. */
export function optionsFor(suite: Suite, f: Partial<SuiteFlags>, cores = availableParallelism()): SuiteOptions {
  const d = suite.defaults(f.quick === true, cores);
  return {
    ...d,
    entries: f.entries ?? d.entries,
    valueSizes: f.values ?? d.valueSizes,
    mixers: f.mixers ?? d.mixers,
    cpus: f.cpus ?? d.cpus,
    repetitions: f.reps ?? d.repetitions,
    durationMs: f.duration ?? d.durationMs,
    warmupOps: f.warmup ?? d.warmupOps,
    batch: f.batch ?? d.batch,
    seed: f.seed ?? d.seed,
    orders: f.orders ?? d.orders,
    policies: f.policies ?? d.policies,
    subjects: f.only ?? d.subjects,
  };
}

/** How the run was started, for the result file: the pnpm script when there was one. */
function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `pnpm bench ${args}`.trim();
  return `node ${relative(process.cwd(), process.argv[1] ?? 'cli.js')} ${args}`.trim();
}

/** Runs suites one after the other, printing each report; returns whether every cell was measured. */
async function runSuites(suites: Suite[], f: SuiteFlags): Promise<boolean> {
  const goals: Goal[][] = [];
  let ok = true;
  for (const suite of suites) {
    const run = await runSuite(suite, optionsFor(suite, f), {
      progress: createProgress(f.progress),
      outDir: f.write ? f.out : null,
      charts: f.charts,
      command: commandLine(),
    });
    process.stdout.write(`\n${run.markdown}\n`);
    if (run.files) process.stdout.write(`\nwrote ${run.files.json}, ${run.files.markdown}${run.files.svgs.length > 0 ? `, ${run.files.svgs.length} charts` : ''} (copies in ${f.out}/latest/)\n`);
    const failed = run.result.cells.filter((c) => c.error !== undefined);
    for (const c of failed) process.stderr.write(`error: ${c.id}: ${c.error}\n`);
    ok &&= failed.length === 0;
    goals.push(run.result.goals);
  }
  if (suites.length > 1) process.stdout.write(`\n${section('Goals, all suites', 2, goalsTable(mergeGoals(goals)))}\n`);
  return ok;
}

function suiteCommand(suite: Suite, isDefault: boolean): Command {
  const cmd = new Command(suite.name).description(`${suite.description}${isDefault ? ' (the default)' : ''}`);
  return addSuiteOptions(cmd).action(async (f: SuiteFlags) => {
    if (!(await runSuites([suite], f))) process.exitCode = 1;
  });
}

/** The benchmark suites: one subcommand each, the default one runs when none is named, and `all`. */
export const suiteCommands: CliCommand = {
  register(program) {
    for (const name of SUITE_NAMES) program.addCommand(suiteCommand(SUITES[name], name === DEFAULT_SUITE), { isDefault: name === DEFAULT_SUITE });
    const all = new Command('all').description(`every suite in turn (${SUITE_NAMES.join(', ')}), then the goals of all of them`);
    program.addCommand(
      addSuiteOptions(all).action(async (f: SuiteFlags) => {
        if (
          !(await runSuites(
            SUITE_NAMES.map((n) => SUITES[n]),
            f,
          ))
        )
          process.exitCode = 1;
      }),
    );
  },
};
