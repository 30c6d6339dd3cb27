#!/usr/bin/env -S node --max-semi-space-size=64
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../postgres/migrations/package-root.js';
import { exitCodeOf, EXIT, setCommand } from './cli-support.js';
import { registerConvert } from './commands/convert.js';
import { registerCutover } from './commands/cutover.js';
import { registerDemo } from './commands/demo.js';
import { registerFollow } from './commands/follow.js';
import { registerMetrics } from './commands/metrics.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPartitions } from './commands/partitions.js';
import { registerProfile } from './commands/profile.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerRls } from './commands/rls.js';
import { registerSeed } from './commands/seed.js';
import { registerStatus } from './commands/status.js';
import { registerTenants } from './commands/tenants.js';
import { registerVerify } from './commands/verify.js';

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** `rls check`, `convert`: a subcommand's name with its parents', as log records carry it. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * `stellaops-persistence`: the one binary of the adapter. Exit 0 success, 1 mismatches or
 * failures, 2 usage or configuration errors.
 */
export function buildProgram(): Command {
  const program = new Command('stellaops-persistence')
    .description('Move the StellaOps control plane from MongoDB to PostgreSQL module by module: migrate, convert, verify, reconcile.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (_program, action) => setCommand(commandPath(action)));
  for (const register of [registerMigrate, registerStatus, registerRls, registerProfile, registerConvert, registerFollow, registerCutover, registerVerify, registerReconcile, registerPartitions, registerSeed, registerDemo, registerMetrics, registerTenants]) {
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
