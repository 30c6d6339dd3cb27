import { Option, type Command } from 'commander';
import { REPORT_FORMATS, resolveSelection, runVerify, runVerifyWorker, summaryLine, VERIFY_DEFAULTS, VerifySelectionError, type ReportFormat } from '../../parity/index.js';
import { cliLog, configFrom, ExitCode, lineLog, out, positiveInt, printJson, UsageError, withConfigOption } from '../cli-support.js';

interface VerifyFlags {
  module: string;
  collection?: string[];
  out: string;
  format: string;
  sampleSize?: number;
  maxTenants?: number;
  maxListItems?: number;
  pageSize?: number;
  referenceTime?: string;
  progress?: boolean;
  workers?: number;
  join?: string;
  quiet?: boolean;
  json?: boolean;
  config?: string;
}

function formats(value: string): ReportFormat[] {
  const list = value.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
  if (list.length === 0) throw new UsageError(`--format needs at least one of ${REPORT_FORMATS.join(', ')}`);
  for (const f of list) if (!(REPORT_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format: unknown format ${JSON.stringify(f)}; allowed: ${REPORT_FORMATS.join(', ')}`);
  return [...new Set(list)] as ReportFormat[];
}

function referenceTime(value: string | undefined): Date | null {
  if (value === undefined) return null;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) throw new UsageError(`--reference-time must be an ISO 8601 date-time, got ${JSON.stringify(value)}`);
  return d;
}

/**
 * `verify --module M [--collection C] [--out DIR] [--format json,html,junit] [--workers N]`: data parity
 * and output parity of one module between MongoDB and PostgreSQL (docs/design.md §9), reports in DIR; with
 * `--workers N`, N processes share data parity (`verify --join RUN` lets a process on another host help). Exit 0 only with zero
 * mismatches, 1 otherwise, 2 on usage or configuration errors.
 */
export function registerVerify(program: Command): void {
  withConfigOption(
    program
      .command('verify')
      .description('Compare a module\'s legacy MongoDB data and repository outputs with PostgreSQL; write JSON, HTML and JUnit reports')
      .requiredOption('--module <name>', 'module to verify, e.g. Authority')
      .option('--collection <names...>', 'only these legacy collections (or entity names); default: every collection of the module')
      .option('--out <dir>', 'folder of the reports', VERIFY_DEFAULTS.outDir)
      .option('--format <list>', 'report formats, comma-separated: json, html, junit', REPORT_FORMATS.join(','))
      .option('--sample-size <n>', `samples per kind of difference (default ${VERIFY_DEFAULTS.sampleSize})`, positiveInt('--sample-size'))
      .option('--max-tenants <n>', `tenants probed by output parity (default ${VERIFY_DEFAULTS.maxTenants})`, positiveInt('--max-tenants'))
      .option('--max-list-items <n>', `items compared per list probe (default ${VERIFY_DEFAULTS.maxListItems})`, positiveInt('--max-list-items'))
      .option('--page-size <n>', `page size of list probes (default ${VERIFY_DEFAULTS.pageSize})`, positiveInt('--page-size'))
      .option('--reference-time <iso>', 'evaluate tier-B windows at this time (default: the conversion job\'s reference time, else now)')
      .option('--workers <n>', 'processes sharing data parity through id ranges claimed in PostgreSQL (this one and n-1 workers; same report)', positiveInt('--workers'))
      .option('--join <run-id>', 'work on a shared verification started elsewhere (verify --workers prints its run id); writes no report')
      .option('--json', 'print the outcome as one JSON document on stdout (summary, digest, report paths)')
      .option('--no-progress', 'no progress lines on stderr')
      // The former name of --no-progress, kept for scripts that use it.
      .addOption(new Option('--quiet').hideHelp()),
  ).action(async (flags: VerifyFlags) => {
    if (flags.join !== undefined) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(flags.join)) throw new UsageError(`--join needs the run id (a UUID) that verify --workers printed, got ${JSON.stringify(flags.join)}`);
      const config = configFrom(flags, { postgres: true, mongo: true });
      const ranges = await runVerifyWorker({ config, runId: flags.join, log: flags.quiet || flags.progress === false ? undefined : lineLog(cliLog({ join: flags.join })) });
      out(`verified ${ranges} range(s) of run ${flags.join}`);
      return;
    }
    const chosen = formats(flags.format);
    const at = referenceTime(flags.referenceTime);
    let selection;
    try {
      selection = resolveSelection(flags.module, flags.collection);
    } catch (e) {
      if (e instanceof VerifySelectionError) throw new UsageError(e.message);
      throw e;
    }
    const config = configFrom(flags, { postgres: true, mongo: true });
    let result;
    try {
      result = await runVerify({
        config,
        module: selection.module,
        collections: flags.collection ?? null,
        outDir: flags.out,
        formats: chosen,
        sampleSize: flags.sampleSize,
        maxTenants: flags.maxTenants,
        maxListItems: flags.maxListItems,
        pageSize: flags.pageSize,
        referenceTime: at,
        workers: flags.workers,
        log: flags.quiet || flags.progress === false ? undefined : lineLog(cliLog({ module: selection.module.name })),
      });
    } catch (e) {
      if (e instanceof VerifySelectionError) throw new UsageError(e.message);
      throw e;
    }
    if (flags.json) {
      const { module, collections, summary, digest } = result.report;
      printJson({ module, collections, ok: summary.ok, exitCode: result.exitCode, summary, digest, reports: result.paths });
    } else {
      for (const path of result.paths) out(`report: ${path}`);
      out(summaryLine(result.report));
    }
    if (result.exitCode !== 0) throw new ExitCode(result.exitCode);
  });
}
