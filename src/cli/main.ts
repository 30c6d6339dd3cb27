#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { exitCodeOf, EXIT } from './cli-support.js';
import { registerConvert } from './commands/convert.js';
import { registerCutover } from './commands/cutover.js';
import { registerDemo } from './commands/demo.js';
import { registerFollow } from './commands/follow.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPartitions } from './commands/partitions.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerRls } from './commands/rls.js';
import { registerSeed } from './commands/seed.js';
import { registerStatus } from './commands/status.js';
import { registerVerify } from './commands/verify.js';

/**
 * `stellaops-persistence`: the one binary of the adapter. Exit 0 success, 1 mismatches or
 * failures, 2 usage or configuration errors.
 */
export function buildProgram(): Command {
  const program = new Command('stellaops-persistence')
    .description('Move the StellaOps control plane from MongoDB to PostgreSQL module by module: migrate, convert, verify, reconcile.')
    .showHelpAfterError()
    .exitOverride();
  for (const register of [registerMigrate, registerStatus, registerRls, registerConvert, registerFollow, registerCutover, registerVerify, registerReconcile, registerPartitions, registerSeed, registerDemo]) {
    register(program);
  }
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    return exitCodeOf(error);
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.exitCode = exitCodeOf(error);
  },
);
