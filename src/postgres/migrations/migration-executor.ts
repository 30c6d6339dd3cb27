import type pg from 'pg';
import { MigrationError } from './migration-errors.js';
import { recordApplied, recordBatch } from './migration-history.js';
import type { MigrationSource } from './migration-loader.js';
import { lineAt, splitSqlStatements, transactionControlStatements } from './sql-statements.js';

type Log = (line: string) => void;

/**
 * Applies one migration on `client` (which holds the module's lock) and records it.
 *
 * - Transactional (the default): the file's SQL, its history row and the `core.schema_version` update
 *   commit together; on any error nothing of it remains.
 * - `-- migrate: no-transaction`: the statements run one by one outside a transaction, and the history
 *   row is written after the last one succeeded. A failure leaves the statements that already ran, and
 *   the file runs again, whole, next time: write such files to be re-runnable
 *   (`create index concurrently if not exists`, and drop an INVALID index left by a failed build).
 * - Data migrations (DM): see {@link applyDataMigration}.
 */
export async function applyMigration(client: pg.ClientBase, source: MigrationSource, log: Log): Promise<void> {
  const { info } = source;
  const started = performance.now();
  try {
    if (info.category === 'data') {
      await applyDataMigration(client, source, log);
    } else {
      await unit(client, info.transactional, async () => {
        await execute(client, source);
        if (info.transactional) await recordApplied(client, info, performance.now() - started);
      });
      if (!info.transactional) await unit(client, true, () => recordApplied(client, info, performance.now() - started));
      log(`[${info.module}] applied ${fileName(source)} (${info.category}) in ${Math.round(performance.now() - started)} ms`);
    }
  } catch (err) {
    if (err instanceof MigrationError) throw err;
    throw fromDatabaseError(source, err, null);
  }
  // A migration may SET search_path, role or timeouts for itself; the next one starts clean.
  await client.query('reset all; reset role; set statement_timeout = 0');
}

/**
 * Runs a data migration (`DMnnn_name.sql`) to completion.
 *
 * Contract for the file: its SQL processes ONE batch of work and is run again and again until the
 * command tag of its last statement reports 0 affected rows. So it must select the next batch itself
 * from what is not yet done (for example
 * `update t set x = ... where id in (select id from t where x is null order by id limit 1000)`), which
 * also makes it resumable: after a crash or restart the runner simply starts repeating it again.
 * Each batch is its own transaction (unless the file declares `-- migrate: no-transaction`), together
 * with its progress row in `core.data_migration_progress` (batches and rows so far); the batch that
 * reports 0 rows also writes the history row, so a data migration is recorded once, when it is done.
 * It holds the module's migration lock while it runs: run data migrations (`migrate --data`) apart from
 * service start-up.
 *
 * @example
 * -- DM001_backfill_display_name.sql
 * update authority."user" set display_name = username
 *  where id in (select id from authority."user" where display_name is null order by id limit 5000);
 */
export async function applyDataMigration(client: pg.ClientBase, source: MigrationSource, log: Log): Promise<void> {
  const { info } = source;
  const started = performance.now();
  for (;;) {
    const { rows, progress } = await unit(client, info.transactional, async () => {
      const count = await execute(client, source);
      const record = async () => {
        const totals = await recordBatch(client, info, count);
        if (count === 0) await recordApplied(client, info, performance.now() - started);
        return totals;
      };
      return { rows: count, progress: info.transactional ? await record() : await unit(client, true, record) };
    });
    log(`[${info.module}] ${fileName(source)} batch ${progress.batches}: ${rows} rows (${progress.rows} so far)`);
    if (rows === 0) break;
  }
  log(`[${info.module}] applied ${fileName(source)} (data) in ${Math.round(performance.now() - started)} ms`);
}

/** Runs the file's SQL; answers the affected-row count of its last statement (0 when it has none). */
async function execute(client: pg.ClientBase, source: MigrationSource): Promise<number> {
  const { info, sql } = source;
  if (info.transactional) {
    const control = transactionControlStatements(sql)[0];
    if (control) {
      throw new MigrationError(
        info.file,
        info.module,
        `line ${lineAt(sql, control.offset + leadingSpace(control.text))}: ${control.keyword.toUpperCase()} is not allowed; ` +
          'the runner runs each migration in its own transaction (declare "-- migrate: no-transaction" on the first line to manage it yourself)',
      );
    }
    let results: unknown;
    try {
      // One simple-protocol query: PostgreSQL runs every statement of the file, in our transaction.
      results = await client.query(sql);
    } catch (err) {
      throw fromDatabaseError(source, err, 0);
    }
    return lastRowCount(results);
  }
  let rows = 0;
  for (const statement of splitSqlStatements(sql)) {
    try {
      rows = lastRowCount(await client.query(statement.text));
    } catch (err) {
      throw fromDatabaseError(source, err, statement.offset);
    }
  }
  return rows;
}

/** `fn` inside begin/commit when `transactional`, as is otherwise. */
async function unit<T>(client: pg.ClientBase, transactional: boolean, fn: () => Promise<T>): Promise<T> {
  if (!transactional) return fn();
  await client.query('begin');
  try {
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

function lastRowCount(results: unknown): number {
  const list = (Array.isArray(results) ? results : [results]) as pg.QueryResult[];
  return list.at(-1)?.rowCount ?? 0;
}

function leadingSpace(text: string): number {
  // Skip whitespace and comments before the keyword, so the reported line is the statement's.
  const match = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/.exec(text);
  return match?.[0].length ?? 0;
}

/**
 * Names the file, the line (from PostgreSQL's error position, relative to the statement sent, which
 * starts at `offset` in the file; null when the failing statement was the runner's own) and carries
 * PostgreSQL's message.
 */
function fromDatabaseError(source: MigrationSource, err: unknown, offset: number | null): MigrationError {
  const e = err as Partial<pg.DatabaseError> & Error;
  const position = Number(e.position);
  const where = offset !== null && Number.isInteger(position) && position > 0 ? `line ${lineAt(source.sql, offset + position - 1)}: ` : '';
  const extra = [e.detail && `detail: ${e.detail}`, e.hint && `hint: ${e.hint}`].filter(Boolean).join('; ');
  return new MigrationError(
    source.info.file,
    source.info.module,
    `${where}${e.message}${extra ? ` (${extra})` : ''}`,
    typeof e.code === 'string' ? e.code : undefined,
    { cause: err },
  );
}

function fileName(source: MigrationSource): string {
  return source.info.file.split(/[\\/]/).at(-1) ?? source.info.file;
}
