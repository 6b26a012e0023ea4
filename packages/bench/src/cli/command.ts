import type { Command } from 'commander';

/**
 * A CLI subcommand. Each concept that has a command (the benchmark suites,
 * the experiment, the soak test) exports one from its folder and is listed
 * in cli/registry.ts; cli.ts knows nothing else about them.
 */
export interface CliCommand {
  /** Adds the subcommand(s) to the program. */
  register(program: Command): void;
}
