import type { Command } from 'commander';

/**
 * A CLI subcommand. Each concept that has a command (the benchmark suites,
 * the experiment, the soak test) exports one from its folder, and cli.ts
 * lists them; cli.ts knows nothing else about them. cli/ itself imports
 * nothing of the bench, so that every folder may build a command from it.
 */
export interface CliCommand {
  /** Adds the subcommand(s) to the program. */
  register(program: Command): void;
}
