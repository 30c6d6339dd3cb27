import { Option, type Command } from 'commander';
import { ConversionOptionsError, formatSummary, runConversion, TIER_OPTIONS, type TierOption } from '../../conversion/index.js';
import { goSignal } from '../../conversion/worker-processes.js';
import { cliLog, configFrom, ExitCode, EXIT, lineLog, out, positiveInt, printJson, UsageError, withConfigOption } from '../cli-support.js';

interface ConvertFlags {
  module: string;
  collection?: string;
  tier: string;
  batchSize?: number;
  rangeSize?: number;
  workers: number;
  rerun?: boolean;
  leaseSeconds?: number;
  throttleMs?: number;
  referenceTime?: string;
  json?: boolean;
  progress?: boolean;
  worker?: boolean;
  waitForGo?: boolean;
  config?: string;
}

function nonNegativeInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be an integer >= 0, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** The first call's promise, for every call (the go-ahead is read once per process). */
function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

function isoDate(value: string): string {
  if (Number.isNaN(new Date(value).getTime())) throw new UsageError(`--reference-time must be an ISO date, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * `convert --module M [--collection C] [--tier auto|A|B|C] [--batch-size N] [--workers N] [--rerun] [--json]`
 * (docs/design.md §8): converts legacy collections into PostgreSQL, resumably. Exit 0 when every job completed
 * (quarantined documents are reported, not a failure), 1 on failure (resumable), 2 on usage or
 * configuration errors.
 */
export function registerConvert(program: Command): void {
  const cmd = program
    .command('convert')
    .description('Convert legacy MongoDB collections into PostgreSQL: tiered, resumable (kill -9 safe), shared by several workers')
    .requiredOption('--module <module>', 'module to convert (e.g. Authority)')
    .option('--collection <collection>', 'one legacy collection of the module (default: all, in declaration order)')
    .addOption(new Option('--tier <tier>', 'auto = each collection\'s declared tier; A all; B the declared window; C schema only').choices([...TIER_OPTIONS]).default('auto'))
    .option('--batch-size <n>', 'documents per batch, one transaction each (default: Conversion.BatchSize)', positiveInt('--batch-size'))
    .option('--range-size <n>', 'documents per claimable key range (default: Conversion.RangeSize)', positiveInt('--range-size'))
    .option('--workers <n>', 'processes sharing the job: this one and N-1 worker processes (default 1: this process alone)', positiveInt('--workers'), 1)
    .option('--rerun', 'start a new pass over a finished job, adding only what is missing (legacy writers kept writing)')
    .option('--lease-seconds <n>', 'a claim not renewed for this long is taken over by another worker (default: 60)', positiveInt('--lease-seconds'))
    .option('--throttle-ms <n>', 'pause between batches, to spare the legacy database (default: 0)', nonNegativeInt('--throttle-ms'))
    .option('--reference-time <iso>', 'tier-B "now" of a new job (default: now; an existing job keeps its own)', isoDate)
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--no-progress', 'no progress bar or progress lines')
    .addOption(new Option('--worker', 'worker-process mode (used by --workers)').hideHelp())
    .addOption(new Option('--wait-for-go', 'worker started before the plan: warm up, then wait for "go" on stdin (used by --workers)').hideHelp());
  withConfigOption(cmd).action(async (flags: ConvertFlags) => {
    const config = configFrom(flags, { mongo: true });
    const log = cliLog({ module: flags.module, ...(flags.collection ? { collection: flags.collection } : {}), ...(flags.worker ? { worker: true } : {}) });
    let report;
    try {
      report = await runConversion({
        config,
        module: flags.module,
        collection: flags.collection ?? null,
        tier: flags.tier as TierOption,
        batchSize: flags.batchSize,
        rangeSize: flags.rangeSize,
        workers: flags.workers,
        rerun: Boolean(flags.rerun),
        leaseSeconds: flags.leaseSeconds,
        throttleMs: flags.throttleMs,
        referenceTime: flags.referenceTime ? new Date(flags.referenceTime) : undefined,
        progress: flags.progress === false || flags.worker ? 'none' : 'auto',
        configFile: flags.config ?? null,
        worker: Boolean(flags.worker),
        ...(flags.waitForGo ? { startSignal: once(() => goSignal()) } : {}),
        log: lineLog(log),
      });
    } catch (error) {
      if (error instanceof ConversionOptionsError) throw new UsageError(error.message);
      throw error;
    }
    if (flags.worker) {
      const failed = report.collections.find((c) => c.outcome === 'failed');
      if (failed) log.error({ collection: failed.collection }, `error: ${failed.error}`);
    } else if (flags.json) {
      printJson(report);
    } else {
      for (const c of report.collections) for (const line of formatSummary(c)) out(line);
    }
    if (!report.ok) throw new ExitCode(EXIT.FAILED);
  });
}
