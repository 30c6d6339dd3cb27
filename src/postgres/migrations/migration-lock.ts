import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { MIGRATION_LOCK_CLASS } from './migration-history.js';

/**
 * Takes the module's session-level advisory lock on `client` (held until `releaseModuleLock` or the
 * connection closes), waiting as long as another runner holds it.
 *
 * It polls `pg_try_advisory_lock` instead of blocking in `pg_advisory_lock` on purpose: a statement
 * blocked on the lock keeps its snapshot open, and the lock holder's CREATE INDEX CONCURRENTLY waits
 * for every older snapshot of the database; the two would wait on each other (a deadlock PostgreSQL
 * breaks by failing one of them).
 *
 * @example
 * await acquireModuleLock(client, 'Authority', console.log);
 * try { ... } finally { await releaseModuleLock(client, 'Authority'); }
 */
export async function acquireModuleLock(client: pg.ClientBase, module: string, log?: (line: string) => void): Promise<void> {
  let waitMs = 50;
  for (let attempt = 0; ; attempt++) {
    const { rows } = await client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock($1, hashtext($2)) as locked',
      [MIGRATION_LOCK_CLASS, lockName(module)],
    );
    if (rows[0]?.locked) return;
    if (attempt === 0) log?.(`[${module}] another runner holds the migration lock; waiting`);
    await sleep(waitMs + Math.random() * waitMs);
    waitMs = Math.min(waitMs * 2, 500);
  }
}

export async function releaseModuleLock(client: pg.ClientBase, module: string): Promise<void> {
  await client.query('select pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, lockName(module)]);
}

function lockName(module: string): string {
  return `stellaops-migrate:${module}`;
}
