import type { PersistenceConfig } from '../config/persistence-config.js';
import type { PostgresSettings } from './data-source.js';

/**
 * The pool of `Postgres.*` in the config (size, timeouts, statement timeout) on `url` (default
 * `Postgres.Url`). The one place config keys become pool settings.
 *
 * @example
 * const ds = new PostgresDataSource(pgSettings(config));
 */
export function pgSettings(config: PersistenceConfig, url: string = config.Postgres.Url!): PostgresSettings {
  return {
    url,
    pool: {
      min: config.Postgres.Pool.Min,
      max: config.Postgres.Pool.Max,
      connectionTimeoutMs: config.Postgres.Pool.ConnectionTimeoutMs,
      idleTimeoutMs: config.Postgres.Pool.IdleTimeoutMs,
      maxLifetimeMs: config.Postgres.Pool.MaxLifetimeMs,
    },
    statementTimeoutMs: config.Postgres.StatementTimeoutMs,
  };
}

/**
 * A small pool of a maintenance task (reconciler scan, metrics, conversion) on `url`: at most `max`
 * connections, none kept open, the config's timeouts unless `overrides` says otherwise.
 *
 * @example
 * const ds = new PostgresDataSource(taskPoolSettings(config, adminUrl, { max: 4, applicationName: 'stellaops-convert', idleTimeoutMs: 10_000 }));
 */
export function taskPoolSettings(
  config: PersistenceConfig,
  url: string,
  task: { readonly max: number; readonly applicationName: string; readonly idleTimeoutMs?: number; readonly statementTimeoutMs?: number },
): PostgresSettings {
  const base = pgSettings(config, url);
  return {
    ...base,
    pool: { ...base.pool, min: 0, max: task.max, ...(task.idleTimeoutMs !== undefined ? { idleTimeoutMs: task.idleTimeoutMs } : {}) },
    statementTimeoutMs: task.statementTimeoutMs ?? base.statementTimeoutMs,
    applicationName: task.applicationName,
  };
}
