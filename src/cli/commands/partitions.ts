import type { Command } from 'commander';
import { ExitCode, err } from '../cli-support.js';

/** Placeholder until the command lands; replaced wholesale by its implementation. */
export function registerPartitions(program: Command): void {
  program
    .command('partitions')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      err('partitions: not implemented yet');
      throw new ExitCode(1);
    });
}
