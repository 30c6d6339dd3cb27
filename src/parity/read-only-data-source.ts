import type { PostgresSettings, Tx } from '../postgres/data-source.js';
import { PostgresDataSource } from '../postgres/data-source.js';

/**
 * The PostgreSQL data source of a parity run: the admin URL, every unit of work a read-only,
 * repeatable-read transaction. Verification must never change what it verifies, even when a
 * module probe calls a write by mistake (PostgreSQL refuses it: "cannot execute ... in a read-only
 * transaction"). The generic PostgresRepository runs on it unchanged; `withTenant` still sets the
 * tenant, and the repository still filters by tenant explicitly.
 *
 * @example
 * const ds = new ReadOnlyDataSource(pgSettings(config, adminUrlOf(config)!));
 * const users = new PostgresRepository(userSpec, ds);
 */
export class ReadOnlyDataSource extends PostgresDataSource {
  constructor(settings: PostgresSettings) {
    super({ ...settings, applicationName: settings.applicationName ?? 'stellaops-verify' });
  }

  override async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return super.transaction(async (tx) => {
      await tx.query('set transaction isolation level repeatable read, read only');
      return fn(tx);
    });
  }
}
