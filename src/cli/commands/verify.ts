import type { Command } from 'commander';
import { ExitCode, err } from '../cli-support.js';

/** Placeholder until the command lands; replaced wholesale by its implementation. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      err('verify: not implemented yet');
      throw new ExitCode(1);
    });
}
