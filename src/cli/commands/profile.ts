import type { Command } from 'commander';
import { VerifySelectionError } from '../../parity/index.js';
import { formatProfile, runProfile } from '../../profile/index.js';
import { cliLog, configFrom, lineLog, out, positiveInt, printJson, UsageError, withConfigOption } from '../cli-support.js';

interface ProfileFlags {
  module: string;
  collection?: string[];
  sample?: number;
  examples: number;
  referenceTime?: string;
  json?: boolean;
  progress?: boolean;
  config?: string;
}

function referenceTime(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) throw new UsageError(`--reference-time must be an ISO 8601 date-time, got ${JSON.stringify(value)}`);
  return d;
}

/**
 * `profile --module M [--collection C...] [--sample N] [--json]`: before any conversion, per legacy
 * collection of the module, the fields found with their BSON types and frequencies (undeclared ones
 * marked), how many documents would convert, be skipped by the tier or be quarantined (by reason,
 * with a few legacy ids), and the duplicates of every declared unique key. Reads MongoDB only
 * (no PostgreSQL). Exit 0 whatever it finds, 2 on usage or configuration errors.
 */
export function registerProfile(program: Command): void {
  withConfigOption(
    program
      .command('profile')
      .description('Before converting: fields and BSON types of a module\'s legacy collections, what would convert, be skipped or quarantined (by reason), duplicates of unique keys')
      .requiredOption('--module <name>', 'module to profile, e.g. Authority')
      .option('--collection <names...>', 'only these legacy collections (or entity names); default: every collection of the module')
      .option('--sample <n>', 'profile only the first N documents of each collection in _id order (default: all)', positiveInt('--sample'))
      .option('--examples <n>', 'legacy ids shown per reason and per unique key', positiveInt('--examples'), 5)
      .option('--reference-time <iso>', '"now" of tier-B windows (default: now)')
      .option('--json', 'print the report as one JSON document on stdout')
      .option('--no-progress', 'no progress lines on stderr'),
  ).action(async (flags: ProfileFlags) => {
    const at = referenceTime(flags.referenceTime);
    const config = configFrom(flags, { mongo: true });
    let report;
    try {
      report = await runProfile({
        config,
        module: flags.module,
        collections: flags.collection ?? null,
        sample: flags.sample ?? null,
        examples: flags.examples,
        referenceTime: at,
        log: flags.progress === false ? undefined : lineLog(cliLog({ module: flags.module })),
      });
    } catch (e) {
      if (e instanceof VerifySelectionError) throw new UsageError(e.message);
      throw e;
    }
    if (flags.json) printJson(report);
    else formatProfile(report).forEach((l) => out(l));
  });
}
