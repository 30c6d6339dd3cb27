import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pgCopy from 'pg-copy-streams';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldOf, fieldsOf, isTenantScoped, type ResolvedField } from '../codec/fields.js';
import { hideValues, redactPgDetail, secretValues } from '../codec/sensitive.js';
import { ident, type PostgresDataSource, type Tx } from '../postgres/data-source.js';
import { conflictTarget, tableOf } from '../postgres/entity-sql.js';
import { toParams } from '../postgres/row-codec.js';
import { cleanReason, type Outcome } from './classify.js';
import { LostClaimError } from './errors.js';
import { encodeIdValue, idValueEjson } from '../mongo/id-ranges.js';
import { legacyTenantOf } from '../mongo/document-codec.js';
import type { ClaimedRange } from './job-store.js';
import { updateJobCounters } from './job-store.js';
import { copyLine, pgText } from './pg-text.js';
import type { SourceDocument } from './source-document.js';

/**
 * Loads one batch in ONE transaction: the rows (COPY into a session-local staging table, then
 * INSERT ... SELECT ... ON CONFLICT DO NOTHING, tenant by tenant so row-level security holds for an
 * owner role without BYPASSRLS), the quarantined documents, and the range's checkpoint and counters.
 * A kill at any moment leaves either all of it or none of it, so a resumed job has no duplicate and
 * no gap. When PostgreSQL refuses the bulk load for a data reason, that transaction is rolled back
 * and the batch is loaded again with one INSERT per document under savepoints; each refused document
 * joins the quarantine with PostgreSQL's reason.
 */

export interface BatchTarget {
  readonly spec: EntitySpec;
  readonly jobId: string;
  readonly pass: number;
  readonly leaseSeconds: number;
  /**
   * Set the tenant per group of rows (row-level security applies to the loading role); false when the
   * role bypasses RLS anyway (superuser or BYPASSRLS), saving two round trips per extra tenant.
   */
  readonly perTenant: boolean;
}

export interface BatchCounts {
  readonly converted: number;
  readonly present: number;
  readonly skipped: number;
  readonly quarantined: number;
}

interface QuarantineEntry {
  readonly legacyId: string;
  readonly reason: string;
  readonly source: SourceDocument;
}

type RowOutcome = Extract<Outcome, { kind: 'row' }>;

/** SQLSTATE classes meaning "this row's data is refused" (data exception, integrity, limits), or a refusing trigger. */
function isDataRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^(22|23|54)/.test(code) || code === 'P0001');
}

function refusalReason(spec: EntitySpec, err: unknown, entity: Record<string, unknown>): string {
  const e = err as { code?: string; message?: string; detail?: string; column?: string; constraint?: string };
  const where = e.constraint ? ` [constraint ${e.constraint}]` : e.column ? ` [column ${e.column}]` : '';
  // The detail may echo key values or the whole failing row: sensitive values never go into a reason.
  const text = `PostgreSQL refused the row (SQLSTATE ${e.code}): ${e.message}${e.detail ? ` (${redactPgDetail(spec, e.detail)})` : ''}${where}`;
  return cleanReason(hideValues(text, secretValues(spec, entity)));
}

/** Writable columns (declaration order, generated ones left out: the database computes them) plus legacy_id. */
function loadColumns(spec: EntitySpec): { fields: ResolvedField[]; columns: string[] } {
  const { columns } = toParams(spec, {});
  const fields = columns.map((c) => fieldsOf(spec).find((f) => f.column === c)!);
  return { fields, columns: [...columns, 'legacy_id'] };
}

function rowTexts(fields: readonly ResolvedField[], row: RowOutcome): (string | null)[] {
  return [...fields.map((f) => pgText(f, row.entity[f.name])), row.legacyId];
}

function stagingName(spec: EntitySpec): string {
  return ident(`conv_stage_${spec.schema}_${spec.table}`);
}

/** First day of each distinct UTC month of the partition key in the batch. */
function monthsOf(spec: EntitySpec, rows: readonly RowOutcome[]): Date[] {
  const field = fieldOf(spec, spec.partitionedBy!);
  const months = new Set<number>();
  for (const r of rows) {
    const at = r.entity[field.name] as Date;
    months.add(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  }
  return [...months].sort((a, b) => a - b).map((t) => new Date(t));
}

async function setTenant(tx: Tx, tenantId: string): Promise<void> {
  await tx.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
}

/** COPY + INSERT ... SELECT, tenant by tenant. Returns the legacy ids actually inserted. */
async function bulkInsert(tx: Tx, spec: EntitySpec, rows: readonly RowOutcome[], perTenant: boolean): Promise<Set<string>> {
  const { fields, columns } = loadColumns(spec);
  const cols = columns.map(ident).join(', ');
  const stage = `pg_temp.${stagingName(spec)}`;
  await tx.query(`create temp table if not exists ${stagingName(spec)} on commit delete rows as select ${cols} from ${tableOf(spec)} with no data`);
  const text = rows.map((r) => copyLine(rowTexts(fields, r))).join('');
  const copy = tx.client.query(pgCopy.from(`copy ${stage} (${cols}) from stdin`));
  await pipeline(Readable.from([text]), copy);
  const inserted = new Set<string>();
  const insert = `insert into ${tableOf(spec)} (${cols}) select ${cols} from ${stage}`;
  const tail = ` on conflict (${conflictTarget(spec)}) do nothing returning legacy_id`;
  if (isTenantScoped(spec) && perTenant) {
    const tenants = [...new Set(rows.map((r) => r.entity.tenantId as string))].sort();
    for (const tenant of tenants) {
      await setTenant(tx, tenant);
      const res = await tx.query(`${insert} where tenant_id = $1${tail}`, [tenant]);
      for (const r of res.rows) inserted.add(r.legacy_id as string);
    }
  } else {
    const res = await tx.query(`${insert}${tail}`);
    for (const r of res.rows) inserted.add(r.legacy_id as string);
  }
  return inserted;
}

/** One INSERT per row under a savepoint; a refused row is quarantined with PostgreSQL's reason. */
async function insertOneByOne(tx: Tx, spec: EntitySpec, rows: readonly RowOutcome[], quarantine: QuarantineEntry[], perTenant: boolean): Promise<Set<string>> {
  const { fields, columns } = loadColumns(spec);
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
  const sql = `insert into ${tableOf(spec)} (${columns.map(ident).join(', ')}) values (${placeholders}) on conflict (${conflictTarget(spec)}) do nothing returning legacy_id`;
  const inserted = new Set<string>();
  for (const row of rows) {
    await tx.query('savepoint conv_row');
    try {
      if (isTenantScoped(spec) && perTenant) await setTenant(tx, row.entity.tenantId as string);
      const res = await tx.query(sql, rowTexts(fields, row));
      if (res.rowCount) inserted.add(row.legacyId);
      await tx.query('release savepoint conv_row');
    } catch (err) {
      if (!isDataRefusal(err)) throw err;
      await tx.query('rollback to savepoint conv_row');
      quarantine.push({ legacyId: row.legacyId, reason: refusalReason(spec, err, row.entity), source: row.source });
    }
  }
  return inserted;
}

/** The tenant the document names (core 021: quarantine rows stay their tenant's under RLS), or null. */
function quarantineTenant(spec: EntitySpec, source: SourceDocument): string | null {
  let doc;
  try {
    doc = source.exactDocument();
  } catch {
    return null; // not even a lenient decode: the row is the maintenance role's alone
  }
  return legacyTenantOf(spec, doc);
}

async function writeQuarantine(tx: Tx, target: BatchTarget, entries: readonly QuarantineEntry[]): Promise<void> {
  // One row per legacy id (the primary key); the latest document wins, as a rerun sees it.
  const unique = [...new Map(entries.map((e) => [e.legacyId, e])).values()];
  for (let start = 0; start < unique.length; start += 500) {
    const chunk = unique.slice(start, start + 500);
    const params: unknown[] = [target.spec.module, target.spec.collection, target.jobId];
    const values = chunk.map((e) => {
      const base = params.length;
      params.push(e.legacyId, e.reason, e.source.ejson(), e.source.bytes, quarantineTenant(target.spec, e.source));
      return `($1, $2, $${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $3, now(), $${base + 5})`;
    });
    await tx.query(
      `insert into core.conversion_quarantine (module, collection, legacy_id, reason, document_ejson, document_bson, job_id, quarantined_at, tenant_id)
       values ${values.join(', ')}
       on conflict (module, collection, legacy_id) do update
         set reason = excluded.reason, document_ejson = excluded.document_ejson, document_bson = excluded.document_bson,
             job_id = excluded.job_id, quarantined_at = excluded.quarantined_at, tenant_id = excluded.tenant_id`,
      params,
    );
  }
}

/** The bulk path met a row PostgreSQL refuses: the transaction was rolled back; load the batch row by row. */
class BulkRefused extends Error {
  constructor(cause: unknown) {
    super('bulk load refused', { cause });
  }
}

/**
 * Loads a batch and moves the range's checkpoint to `lastId`, atomically; with `done`, also closes
 * the range. Tries the bulk path first; if PostgreSQL refuses a row for a data reason, the whole
 * transaction is rolled back and the batch is loaded again one row per savepoint, the refused rows
 * going to quarantine. Throws LostClaimError (nothing written) when another worker took the range over.
 *
 * @example
 * const counts = await loadBatch(ds, target, range, outcomes, lastId, false);
 */
export async function loadBatch(
  ds: PostgresDataSource,
  target: BatchTarget,
  range: ClaimedRange,
  outcomes: readonly Outcome[],
  lastId: { value: unknown } | null,
  done: boolean,
): Promise<BatchCounts> {
  try {
    return await loadBatchOnce(ds, target, range, outcomes, lastId, done, 'bulk');
  } catch (err) {
    if (!(err instanceof BulkRefused)) throw err;
    return loadBatchOnce(ds, target, range, outcomes, lastId, done, 'rows');
  }
}

async function loadBatchOnce(
  ds: PostgresDataSource,
  target: BatchTarget,
  range: ClaimedRange,
  outcomes: readonly Outcome[],
  lastId: { value: unknown } | null,
  done: boolean,
  mode: 'bulk' | 'rows',
): Promise<BatchCounts> {
  const { spec } = target;
  return ds.transaction(async (tx) => {
    const rows = outcomes.filter((o): o is RowOutcome => o.kind === 'row');
    const quarantine: QuarantineEntry[] = outcomes.filter((o) => o.kind === 'quarantine').map((o) => o as QuarantineEntry);
    let inserted = new Set<string>();
    let loaded: RowOutcome[] = rows;
    if (rows.length) {
      if (spec.partitionedBy) {
        for (const month of monthsOf(spec, rows)) {
          await tx.query(`select core.ensure_monthly_partition($1::regclass, $2::timestamptz)`, [tableOf(spec), month]);
        }
      }
      if (mode === 'bulk') {
        try {
          inserted = await bulkInsert(tx, spec, rows, target.perTenant);
        } catch (err) {
          if (isDataRefusal(err)) throw new BulkRefused(err);
          throw err;
        }
      } else {
        const before = quarantine.length;
        inserted = await insertOneByOne(tx, spec, rows, quarantine, target.perTenant);
        const refused = new Set(quarantine.slice(before).map((q) => q.legacyId));
        loaded = rows.filter((r) => !refused.has(r.legacyId));
      }
    }
    if (quarantine.length) await writeQuarantine(tx, target, quarantine);
    if (target.pass > 1 && inserted.size) {
      // A document quarantined by an earlier pass that converts now is no longer in quarantine.
      await tx.query(`delete from core.conversion_quarantine where module = $1 and collection = $2 and legacy_id = any($3::text[])`, [
        spec.module,
        spec.collection,
        [...inserted],
      ]);
    }
    const counts: BatchCounts = {
      converted: inserted.size,
      present: loaded.length - inserted.size,
      skipped: outcomes.filter((o) => o.kind === 'skipped').length,
      quarantined: quarantine.length,
    };
    // The checkpoint and counters, and the proof that the claim is still ours (a takeover changes the
    // token): without it, everything above rolls back.
    const own = await tx.query(
      `update core.conversion_range
          set checkpoint_bson = coalesce($5, checkpoint_bson), checkpoint_ejson = coalesce($6, checkpoint_ejson),
              batches = batches + 1, converted = converted + $7, present = present + $8, skipped = skipped + $9,
              quarantined = quarantined + $10, updated_at = now(),
              status = case when $11 then 'done' else status end,
              finished_at = case when $11 then now() else finished_at end,
              lease_until = case when $11 then null else now() + make_interval(secs => $12) end
        where job_id = $1 and pass = $2 and seq = $3 and claim_token = $4 and status = 'claimed'`,
      [
        range.jobId,
        range.pass,
        range.seq,
        range.token,
        lastId ? encodeIdValue(lastId.value) : null,
        lastId ? idValueEjson(lastId.value) : null,
        counts.converted,
        counts.present,
        counts.skipped,
        counts.quarantined,
        done,
        target.leaseSeconds,
      ],
    );
    if (!own.rowCount) throw new LostClaimError(range.jobId, range.seq);
    // The first pass keeps the job's counters current as ranges complete; later passes replace them at the end.
    if (done && range.pass === 1) await updateJobCounters(tx, range.jobId, range.pass);
    return counts;
  });
}
