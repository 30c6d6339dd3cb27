import { PostgresDataSource } from '../data-source.js';

/**
 * Runs `fn` with the caller's data source, or with a small one built for a URL and closed afterwards.
 * Built ones have no statement timeout: migrations run long DDL, and waiting for the migration lock
 * must not time out.
 *
 * @example
 * await withDataSource(adminUrl, (ds) => ds.query('select 1'));
 */
export async function withDataSource<T>(
  urlOrDs: string | PostgresDataSource,
  fn: (ds: PostgresDataSource) => Promise<T>,
  applicationName = 'stellaops-migrate',
): Promise<T> {
  if (typeof urlOrDs !== 'string') return fn(urlOrDs);
  const ds = new PostgresDataSource({
    url: urlOrDs,
    pool: { min: 0, max: 4, connectionTimeoutMs: 30_000, idleTimeoutMs: 10_000, maxLifetimeMs: 30 * 60_000 },
    statementTimeoutMs: 0,
    applicationName,
  });
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}
