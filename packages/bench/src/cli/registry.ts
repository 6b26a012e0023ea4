import type { CliCommand } from './command.js';
import { experimentCommand } from '../experiment/command.js';
import { reportCommand } from './report-command.js';
import { suiteCommands } from './suite-commands.js';
import { soakCommand } from '../soak/command.js';

/** Every subcommand of the CLI, in --help order. Add a new concept's command here. */
export const COMMANDS: CliCommand[] = [suiteCommands, experimentCommand, reportCommand, soakCommand];
