import type { Command } from 'commander';
import { ExitCode, err } from '../cli-support.js';

/** Placeholder until the command lands; replaced wholesale by its implementation. */
export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      err('seed: not implemented yet');
      throw new ExitCode(1);
    });
}
