import { relative } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseCount, parseList } from '../cli/parse.js';
import type { CliCommand } from '../cli/command.js';
import type { ProgressMode } from '../harness/progress.js';
import { fileTimestamp, writeReport } from '../report/files.js';
import { experimentCharts } from './charts.js';
import { experimentMarkdown } from './report/markdown.js';
import { assertExperimentReport, buildReport } from './report/result.js';
import { runExperiment } from './runner/experiment.js';
import { experimentProgress } from './runner/progress.js';
import { loadScenario, shippedScenarios } from './scenario/load.js';
import { validateScenario } from './scenario/scenario.js';
import { STRATEGY_IDS, type StrategyId } from './scenario/strategy-ids.js';

interface ExperimentFlags {
  cpus?: number;
  seed?: number;
  strategies?: StrategyId[];
  out: string;
  write: boolean;
  charts: boolean;
  progress: ProgressMode;
}

function parseStrategy(text: string): StrategyId {
  if ((STRATEGY_IDS as readonly string[]).includes(text)) return text as StrategyId;
  throw new InvalidArgumentError(`unknown strategy "${text}" (known: ${STRATEGY_IDS.join(', ')})`);
}

/** How the run was started, for the result file: the pnpm script when there was one. */
function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  if (process.env.npm_lifecycle_event === 'start') return `pnpm start ${args.replace(/^experiment\s*/, '')}`.trim();
  return `node ${relative(process.cwd(), process.argv[1] ?? 'cli.js')} ${args}`.trim();
}

async function experiment(scenarioArg: string, f: ExperimentFlags): Promise<void> {
  const loaded = loadScenario(scenarioArg);
  // Overrides go through the same validation as the file.
  const scenario = validateScenario({
    ...loaded.scenario,
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    ...(f.strategies ? { strategies: f.strategies } : {}),
  });
  const progress = experimentProgress(f.progress);
  let result;
  try {
    result = await runExperiment(scenario, { ...(f.cpus !== undefined ? { cpus: f.cpus } : {}), onEvent: (e) => progress.onEvent(e) });
  } finally {
    progress.stop();
  }
  const report = buildReport(result, commandLine());
  assertExperimentReport(JSON.parse(JSON.stringify(report)));
  process.stdout.write(`\n${experimentMarkdown(report, () => null)}\n`);
  if (!f.write) return;
  const svgs = f.charts ? await experimentCharts(report) : {};
  const stable = `experiment-${scenario.name}`;
  const files = await writeReport(f.out, `${stable}-${fileTimestamp(result.startedAt)}`, stable, {
    json: report,
    markdown: (chartFile) => experimentMarkdown(report, (name) => (name in svgs ? chartFile(name) : null)),
    svgs,
  });
  process.stdout.write(`\nwrote ${files.json}, ${files.markdown}${files.svgs.length > 0 ? `, ${files.svgs.length} charts` : ''} (copies in ${f.out}/latest/)\n`);
  if (report.strategies.some((s) => !s.summary.accountingExact)) process.exitCode = 1;
}

/** `experiment [scenario]`: the right-sizing experiment (what `pnpm start` runs). */
export const experimentCommand: CliCommand = {
  register(program) {
    const cmd = new Command('experiment')
      .description('the right-sizing experiment: every sizing strategy on one workload, side by side')
      .argument('[scenario]', `a shipped scenario (${shippedScenarios().join(', ')}) or the path of a scenario JSON file`, 'default')
      .option('--cpus <n>', 'CPUs (default: every core)', parseCount)
      .option('--seed <n>', "override the scenario's seed", parseCount)
      .option('--strategies <list>', `only these strategies (${STRATEGY_IDS.join(', ')})`, parseList(parseStrategy))
      .option('--out <dir>', 'directory for the result files', 'results')
      .option('--no-write', 'print only, write no files')
      .option('--no-charts', 'write no SVG charts')
      .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain', 'silent']).default('auto'))
      .action(async (scenario: string, f: ExperimentFlags) => experiment(scenario, f));
    program.addCommand(cmd);
  },
};
