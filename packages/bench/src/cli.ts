#!/usr/bin/env node
import { Command } from 'commander';
import type { CliCommand } from './cli/command.js';
import { experimentCommand } from './experiment/command.js';
import { soakCommand } from './soak/command.js';
import { suiteCommands } from './suites/command.js';
import { reportCommand } from './suites/report-command.js';

/** Every subcommand, in --help order: each concept exports its command from its own folder; add a new one here. */
const COMMANDS: CliCommand[] = [suiteCommands, experimentCommand, reportCommand, soakCommand];

const program = new Command('rightsize-bench').description('rightsize benchmarks and experiments. With no command: the maps suite.').showHelpAfterError();
for (const c of COMMANDS) c.register(program);
await program.parseAsync(process.argv);
