import type { Command } from 'commander';
import { ExitCode, err } from '../cli-support.js';

/** Placeholder until the command lands; replaced wholesale by its implementation. */
export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      err('convert: not implemented yet');
      throw new ExitCode(1);
    });
}
