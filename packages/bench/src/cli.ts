#!/usr/bin/env node
import { Command } from 'commander';
import { COMMANDS } from './cli/registry.js';

const program = new Command('rightsize-bench')
  .description('rightsize benchmarks and experiments. With no command: the maps suite.')
  .showHelpAfterError();
for (const c of COMMANDS) c.register(program);
await program.parseAsync(process.argv);
