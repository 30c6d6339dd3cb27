import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import convict from 'convict';
import { ConfigError } from '../interfaces/errors.js';
import { MODULE_NAMES } from '../interfaces/modules.js';
import { configSchema } from './config-schema.js';
import type { PersistenceConfig } from './persistence-config.js';

export interface LoadConfigOptions {
  /** `--config FILE`; wins over PERSISTENCE_CONFIG. */
  readonly file?: string | null;
  /** Environment to read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Which URLs a CLI command needs: `true` fails unless that URL is present even if no module needs
   * it; `false` never asks for it (the command does not open that backend, e.g. `rls check` needs no
   * MongoDB whatever the modules' backends are); absent: as the modules' backends need.
   */
  readonly require?: { readonly postgres?: boolean; readonly mongo?: boolean };
}

function defaultFile(): string {
  // dist/src/config or src/config -> package root/config/default.json
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new ConfigError('cannot find the package root (config/default.json)');
    dir = parent;
  }
  return join(dir, 'config', 'default.json');
}

/**
 * Loads and validates the configuration: schema defaults, then `config/default.json`, then the
 * file named by `--config` or `PERSISTENCE_CONFIG`, then the environment variables of docs/design.md §3.
 * Any bad value, unknown key or missing URL throws one ConfigError naming the key, the value and
 * what is allowed; secrets are never part of the message.
 *
 * @example
 * const config = loadConfig({ file: argv.config, require: { postgres: true } });
 * config.Persistence.Authority; // 'Mongo' | 'Postgres' | 'DualWrite'
 */
export function loadConfig(options: LoadConfigOptions = {}): PersistenceConfig {
  const env = options.env ?? process.env;
  const conf = convict(configSchema as never, { env: env as Record<string, string>, args: [] });
  const files = [defaultFile()];
  const chosen = options.file ?? env.PERSISTENCE_CONFIG ?? null;
  if (chosen) {
    const path = resolve(chosen);
    if (!existsSync(path)) {
      throw new ConfigError(`Configuration file ${path} does not exist (from ${options.file ? '--config' : 'PERSISTENCE_CONFIG'})`);
    }
    files.push(path);
  }
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`Configuration file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    try {
      conf.load(parsed as object);
    } catch (err) {
      throw new ConfigError(`Configuration file ${file}: ${(err as Error).message}`);
    }
  }
  // Env values must win over files: convict applies env at construction, so re-apply them.
  reapplyEnv(conf, env);
  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    throw new ConfigError(describeValidation((err as Error).message));
  }
  const config = deepFreeze(conf.getProperties() as unknown as PersistenceConfig);
  checkUrls(config, options);
  return config;
}

function reapplyEnv(conf: convict.Config<unknown>, env: NodeJS.ProcessEnv): void {
  const map: Record<string, string> = {
    POSTGRES_URL: 'Postgres.Url',
    POSTGRES_ADMIN_URL: 'Postgres.AdminUrl',
    MONGO_URL: 'Mongo.Url',
    MONGO_DATABASE: 'Mongo.Database',
  };
  for (const m of MODULE_NAMES) map[`PERSISTENCE_${m.toUpperCase()}`] = `Persistence.${m}`;
  for (const [name, key] of Object.entries(map)) {
    const value = env[name];
    if (value !== undefined && value !== '') conf.set(key as never, value as never);
  }
}

const ENV_OF: Record<string, string> = {
  'Postgres.Url': 'POSTGRES_URL',
  'Postgres.AdminUrl': 'POSTGRES_ADMIN_URL',
  'Mongo.Url': 'MONGO_URL',
  'Mongo.Database': 'MONGO_DATABASE',
  ...Object.fromEntries(MODULE_NAMES.map((m) => [`Persistence.${m}`, `PERSISTENCE_${m.toUpperCase()}`])),
};

/** convict reports `key: message: value was "..."` lines; keep them, name env vars, hide URL values. */
function describeValidation(message: string): string {
  const lines = message
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const unknown = /configuration param '([^']+)' not declared in the schema/.exec(line);
      if (unknown) return `${unknown[1]}: unknown key; allowed keys are listed in README.md (Configuration)`;
      const m = /^([\w.]+): (.*)$/.exec(line);
      if (!m) return line;
      const [, key, rest] = m;
      const hidden = /Url$/.test(key!) ? rest!.replace(/: value was .*$/, '') : rest!;
      const env = ENV_OF[key!] ? ` (environment variable ${ENV_OF[key!]})` : '';
      return `${key}${env}: ${hidden}`;
    });
  return `Invalid configuration: ${lines.join('; ')}`;
}

function checkUrls(config: PersistenceConfig, options: LoadConfigOptions): void {
  const backends = Object.values(config.Persistence);
  const needs = (required: boolean | undefined, byModules: boolean) => required ?? byModules;
  const needPg = needs(options.require?.postgres, backends.some((b) => b !== 'Mongo'));
  const needMongo = needs(options.require?.mongo, backends.some((b) => b !== 'Postgres'));
  const using = (b: string) =>
    MODULE_NAMES.filter((m) => config.Persistence[m] === b || config.Persistence[m] === 'DualWrite').join(', ');
  if (needPg && !config.Postgres.Url) {
    const who = options.require?.postgres ? 'this command' : `Persistence of ${using('Postgres')}`;
    throw new ConfigError(`Postgres.Url (environment variable POSTGRES_URL) is missing; ${who} needs PostgreSQL`);
  }
  if (needMongo && !config.Mongo.Url) {
    const who = options.require?.mongo ? 'this command' : `Persistence of ${using('Mongo')}`;
    throw new ConfigError(`Mongo.Url (environment variable MONGO_URL) is missing; ${who} needs MongoDB (memory: for an in-process store)`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
