import type { Command } from 'commander';
import { ExitCode, err } from '../cli-support.js';

/** Placeholder until the command lands; replaced wholesale by its implementation. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      err('demo: not implemented yet');
      throw new ExitCode(1);
    });
}
