import type { Command } from 'commander';
import { loadConfig, type LoadConfigOptions } from '../config/load-config.js';
import type { PersistenceConfig } from '../config/persistence-config.js';
import { ConfigError } from '../interfaces/errors.js';

/** Exit codes (SPEC 10): success, mismatches or failures, usage or configuration errors. */
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

/** Maps an error to its exit code and prints one clear line (never a secret: config errors mask URLs). */
export function exitCodeOf(error: unknown): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof ConfigError || error instanceof UsageError) {
    err(`error: ${error.message}`);
    return EXIT.USAGE;
  }
  const e = error as { code?: string; message?: string };
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) return EXIT.USAGE;
  err(`error: ${e?.message ?? String(error)}`);
  if (process.env.STELLAOPS_DEBUG) err((error as Error).stack ?? '');
  return EXIT.FAILED;
}
