import type { Command } from 'commander';
import { loadConfig, type LoadConfigOptions } from '../config/load-config.js';
import type { PersistenceConfig } from '../config/persistence-config.js';
import { ConfigError } from '../interfaces/errors.js';
import { createLogger, type Logger } from '../logging/logger.js';

/** Exit codes (docs/design.md §10): success, mismatches or failures, usage or configuration errors. */
export const EXIT = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2 });

/** A usage mistake on the command line (exit 2). */
export class UsageError extends Error {}

/** Thrown by a command to end with a given exit code after printing its own output. */
export class ExitCode extends Error {
  constructor(readonly code: number, message = `exit ${code}`) {
    super(message);
  }
}

/** Output of a command: results to stdout, progress and diagnostics to stderr. */
export const out = (line: string) => process.stdout.write(`${line}\n`);
export const err = (line: string) => process.stderr.write(`${line}\n`);

let root: Logger | undefined;
let currentCommand: string | null = null;

/** Records the command being run (`rls check`, `convert`, ...): every log record of this process carries it. */
export function setCommand(name: string): void {
  currentCommand = name;
}

/**
 * The CLI's logger: pino JSON records on stderr (pretty on a terminal) with `command` and the given
 * fields (`module`, `tenant`, ...). `STELLAOPS_DEBUG` lowers the level to debug.
 *
 * @example
 * const log = cliLog({ module: 'Authority' });
 * log.info('converting');
 */
export function cliLog(fields: Record<string, unknown> = {}): Logger {
  root ??= createLogger({ level: process.env.STELLAOPS_DEBUG ? 'debug' : 'info' });
  return root.child({ ...(currentCommand ? { command: currentCommand } : {}), ...fields });
}

/** A `(line) => void` sink (what the engines take) writing info records to `logger`. */
export function lineLog(logger: Logger): (line: string) => void {
  return (line) => logger.info(line);
}

/** Every `--json` output: exactly one JSON document on stdout. */
export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** The `--config FILE` option every command takes. */
export function withConfigOption(cmd: Command): Command {
  return cmd.option('--config <file>', 'JSON config file (default: PERSISTENCE_CONFIG, then config/default.json)');
}

export function configFrom(opts: { config?: string }, require: LoadConfigOptions['require'] = {}, envDefaults: Record<string, string> = {}): PersistenceConfig {
  return loadConfig({ file: opts.config ?? null, require, env: { ...envDefaults, ...process.env } });
}

/** Parses a positive integer option, or throws a UsageError naming it. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
}

/**
 * Maps an error to its exit code and reports it (never a secret: config errors and the logger mask
 * URLs). Usage and configuration errors (exit 2) are one plain `error: ...` line, as commander prints
 * its own; any other failure (exit 1) is an `error` log record with the error's message and type.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof ConfigError || error instanceof UsageError) {
    err(`error: ${error.message}`);
    return EXIT.USAGE;
  }
  const e = error as { code?: string; message?: string };
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) return EXIT.USAGE;
  const log = cliLog();
  if (error instanceof Error) log.error(process.env.STELLAOPS_DEBUG ? { err: error } : { errorType: error.name }, `error: ${error.message}`);
  else log.error(`error: ${String(error)}`);
  return EXIT.FAILED;
}
