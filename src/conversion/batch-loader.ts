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
import { copyRowEncoder, legacyExtraText, pgText } from './pg-text.js';
import { LEGACY_EXTRA_COLUMN } from '../codec/legacy-extra.js';
import type { SourceDocument } from './source-document.js';
import type { TenantMapping, TenantRegistry } from '../codec/tenant-registry.js';
import { recordTenantKeys } from '../postgres/tenant-registry-store.js';

/**
 * Loads one batch in ONE transaction: the rows, the quarantined documents, and the range's checkpoint
 * and counters. A kill at any moment leaves either all of it or none of it, so a resumed job has no
 * duplicate and no gap. The rows go in by the cheapest path that gives the same result:
 * - `copy`: one COPY straight into the table, on a first pass when row-level security does not bind
 *   the loading role (COPY FROM refuses tables whose RLS applies to it). A first pass finds none of
 *   its rows there, so this is the conflict-free case of the next path; if PostgreSQL refuses it for
 *   any reason (a row already there, a constraint...), the transaction is rolled back and the batch
 *   goes `bulk`;
 * - `bulk`: COPY into a session-local staging table, then INSERT ... SELECT ... ON CONFLICT DO NOTHING,
 *   tenant by tenant so row-level security holds for an owner role without BYPASSRLS;
 * - `rows`: when PostgreSQL refuses the bulk load for a data reason, that transaction is rolled back
 *   and the batch is loaded again with one INSERT per document under savepoints; each refused
 *   document joins the quarantine with PostgreSQL's reason.
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
  /** Maps named legacy tenants (README "Tenant registry"); the quarantine records their UUID. */
  readonly tenants?: TenantRegistry;
}

export interface BatchCounts {
  readonly converted: number;
  readonly present: number;
  readonly skipped: number;
  readonly quarantined: number;
}

/** A document the quarantine keeps, with why (conversion and `follow` write them the same way). */
export interface QuarantineEntry {
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

function refusalReason(spec: EntitySpec, err: unknown, entity: Record<string, unknown>, prefix = ''): string {
  const e = err as { code?: string; message?: string; detail?: string; column?: string; constraint?: string };
  const where = e.constraint ? ` [constraint ${e.constraint}]` : e.column ? ` [column ${e.column}]` : '';
  // The detail may echo key values or the whole failing row: sensitive values never go into a reason.
  const text = `${prefix}PostgreSQL refused the row (SQLSTATE ${e.code}): ${e.message}${e.detail ? ` (${redactPgDetail(spec, e.detail)})` : ''}${where}`;
  return cleanReason(hideValues(text, secretValues(spec, entity)));
}

/** What loading rows of one declaration needs, worked out once per declaration. */
interface LoadPlan {
  /** Writable fields (declaration order, generated ones left out: the database computes them); the overflow column follows them. */
  readonly fields: readonly ResolvedField[];
  /** Their columns plus legacy_id. */
  readonly columns: readonly string[];
  /** The same, quoted, as a column list. */
  readonly cols: string;
  /** One row's COPY line. */
  readonly encode: (entity: Record<string, unknown>, legacyId: string) => string;
}

const plans = new WeakMap<EntitySpec, LoadPlan>();

function loadPlan(spec: EntitySpec): LoadPlan {
  let plan = plans.get(spec);
  if (!plan) {
    // The declared writable columns, then the overflow (toParams' order), then legacy_id.
    const { columns } = toParams(spec, {});
    const fields = columns.filter((c) => c !== LEGACY_EXTRA_COLUMN).map((c) => fieldsOf(spec).find((f) => f.column === c)!);
    const all = [...columns, 'legacy_id'];
    plan = { fields, columns: all, cols: all.map(ident).join(', '), encode: copyRowEncoder(fields) };
    plans.set(spec, plan);
  }
  return plan;
}

function rowTexts(fields: readonly ResolvedField[], row: RowOutcome): (string | null)[] {
  return [...fields.map((f) => pgText(f, row.entity[f.name])), legacyExtraText(row.entity), row.legacyId];
}

function stagingName(spec: EntitySpec): string {
  return ident(`conv_stage_${spec.schema}_${spec.table}`);
}

/**
 * A batch ready to load: its outcomes by kind and the rows' COPY text, encoded before the
 * transaction opens (while the previous batch is still loading) and reused if the batch goes by
 * another path.
 */
export interface PreparedBatch {
  readonly rows: readonly RowOutcome[];
  readonly quarantine: readonly QuarantineEntry[];
  readonly skipped: number;
  /** The rows' COPY text as UTF-8, encoded once (a string would be encoded again by each load attempt, in its path). */
  readonly copyText: Buffer;
  /** Named tenant keys met so far and not yet in core.tenant_registry: recorded with this batch. */
  readonly tenantKeys?: readonly TenantMapping[];
}

/**
 * Builds a batch one outcome at a time (each row encoded for COPY as it comes), so that the work is
 * spread over the reading of the batch instead of done at once when it is full: the batch loading
 * meanwhile gets its turns of the event loop.
 *
 * @example
 * const builder = new BatchBuilder(spec);
 * for (const d of documents) builder.add(classify(spec, tier, d, referenceTime));
 * const batch = builder.build();
 */
export class BatchBuilder {
  private readonly encode: LoadPlan['encode'];
  private rows: RowOutcome[] = [];
  private quarantine: QuarantineEntry[] = [];
  private skipped = 0;
  /** The rows' COPY text as UTF-8, written line by line as the rows come (cheaper than one long string encoded at the end). */
  private text = Buffer.allocUnsafe(1 << 16);
  private textLength = 0;

  constructor(spec: EntitySpec) {
    this.encode = loadPlan(spec).encode;
  }

  get size(): number {
    return this.rows.length + this.quarantine.length + this.skipped;
  }

  add(o: Outcome): void {
    if (o.kind === 'row') {
      this.rows.push(o);
      this.append(this.encode(o.entity, o.legacyId));
    } else if (o.kind === 'quarantine') {
      this.quarantine.push(o);
    } else {
      this.skipped++;
    }
  }

  private append(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const need = this.textLength + line.length * 3;
    if (need > this.text.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.text.length * 2));
      this.text.copy(grown, 0, 0, this.textLength);
      this.text = grown;
    }
    this.textLength += this.text.write(line, this.textLength, 'utf8');
  }

  /** The batch so far; the builder starts over empty (with a new text buffer: the batch keeps this one). */
  build(): PreparedBatch {
    const batch = { rows: this.rows, quarantine: this.quarantine, skipped: this.skipped, copyText: this.text.subarray(0, this.textLength) };
    this.rows = [];
    this.quarantine = [];
    this.skipped = 0;
    this.text = Buffer.allocUnsafe(this.text.length);
    this.textLength = 0;
    return batch;
  }
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

async function copyIn(tx: Tx, sql: string, text: Buffer): Promise<void> {
  await pipeline(Readable.from([text]), tx.client.query(pgCopy.from(sql)));
}

/** What a load inserted: how many rows, and their legacy ids when asked for. */
interface Inserted {
  readonly count: number;
  readonly legacyIds: readonly string[];
}

/** One COPY straight into the table (the `copy` path of the module comment). */
async function directCopy(tx: Tx, spec: EntitySpec, batch: PreparedBatch): Promise<Inserted> {
  await copyIn(tx, `copy ${tableOf(spec)} (${loadPlan(spec).cols}) from stdin`, batch.copyText);
  return { count: batch.rows.length, legacyIds: batch.rows.map((r) => r.legacyId) };
}

/** COPY + INSERT ... SELECT, tenant by tenant. Returns what was inserted (legacy ids only when `wantIds`). */
async function bulkInsert(tx: Tx, spec: EntitySpec, batch: PreparedBatch, perTenant: boolean, wantIds: boolean): Promise<Inserted> {
  const { cols } = loadPlan(spec);
  const stage = `pg_temp.${stagingName(spec)}`;
  await tx.query(`create temp table if not exists ${stagingName(spec)} on commit delete rows as select ${cols} from ${tableOf(spec)} with no data`);
  await copyIn(tx, `copy ${stage} (${cols}) from stdin`, batch.copyText);
  let count = 0;
  const legacyIds: string[] = [];
  const insert = `insert into ${tableOf(spec)} (${cols}) select ${cols} from ${stage}`;
  const tail = ` on conflict (${conflictTarget(spec)}) do nothing${wantIds ? ' returning legacy_id' : ''}`;
  const collect = (res: { rowCount: number | null; rows: Record<string, unknown>[] }) => {
    count += res.rowCount ?? 0;
    if (wantIds) for (const r of res.rows) legacyIds.push(r.legacy_id as string);
  };
  if (isTenantScoped(spec) && perTenant) {
    const tenants = [...new Set(batch.rows.map((r) => r.entity.tenantId as string))].sort();
    for (const tenant of tenants) {
      await setTenant(tx, tenant);
      collect(await tx.query(`${insert} where tenant_id = $1${tail}`, [tenant]));
    }
  } else {
    collect(await tx.query(`${insert}${tail}`));
  }
  return { count, legacyIds };
}

/** One INSERT per row under a savepoint; a refused row is quarantined with PostgreSQL's reason. */
async function insertOneByOne(tx: Tx, spec: EntitySpec, rows: readonly RowOutcome[], quarantine: QuarantineEntry[], perTenant: boolean): Promise<Set<string>> {
  const { fields, columns } = loadPlan(spec);
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
      const kept = (err as { code?: string }).code === '23505' ? await keptDuplicate(tx, spec, row, perTenant) : null;
      const prefix = kept ? `duplicate of the natural key (${kept.fields.join(', ')}) kept by the row of legacy id ${kept.legacyId}: ` : '';
      quarantine.push({ legacyId: row.legacyId, reason: refusalReason(spec, err, row.entity, prefix), source: row.source });
    }
  }
  return inserted;
}

/**
 * The row already holding a declared unique key of `row` (a legacy duplicate of a natural key: the
 * legacy collection never had the index), with the key's fields; null when none does (another
 * constraint refused the row). The rollback to the savepoint undid the row's tenant setting: set again.
 */
async function keptDuplicate(tx: Tx, spec: EntitySpec, row: RowOutcome, perTenant: boolean): Promise<{ fields: string[]; legacyId: string } | null> {
  if (isTenantScoped(spec) && perTenant) await setTenant(tx, row.entity.tenantId as string);
  for (const key of spec.uniqueKeys ?? []) {
    const names = [...(isTenantScoped(spec) ? ['tenantId'] : []), ...key];
    const fields = names.map((n) => fieldOf(spec, n));
    const values = fields.map((f) => pgText(f, row.entity[f.name]));
    if (values.some((v) => v === null)) continue; // a null never collides in a PostgreSQL unique key
    const where = fields.map((f, i) => `${ident(f.column)} = $${i + 1}`).join(' and ');
    const res = await tx.query<{ legacy_id: string }>(`select legacy_id from ${tableOf(spec)} where ${where} and legacy_id <> $${fields.length + 1} order by legacy_id limit 1`, [...values, row.legacyId]);
    if (res.rows[0]) return { fields: names, legacyId: res.rows[0].legacy_id };
  }
  return null;
}

/** The tenant the document names (core 021: quarantine rows stay their tenant's under RLS), or null. */
function quarantineTenant(spec: EntitySpec, source: SourceDocument, tenants: TenantRegistry | undefined): string | null {
  let doc;
  try {
    doc = source.exactDocument();
  } catch {
    return null; // not even a lenient decode: the row is the maintenance role's alone
  }
  return legacyTenantOf(spec, doc, tenants);
}

/** Writes quarantine rows (with the tenant the document names) in the caller's transaction. */
export async function writeQuarantine(tx: Tx, target: Pick<BatchTarget, 'spec' | 'jobId' | 'tenants'>, entries: readonly QuarantineEntry[]): Promise<void> {
  // One row per legacy id (the primary key); the latest document wins, as a rerun sees it.
  const unique = [...new Map(entries.map((e) => [e.legacyId, e])).values()];
  for (let start = 0; start < unique.length; start += 500) {
    const chunk = unique.slice(start, start + 500);
    const params: unknown[] = [target.spec.module, target.spec.collection, target.jobId];
    const values = chunk.map((e) => {
      const base = params.length;
      params.push(e.legacyId, e.reason, e.source.ejson(), e.source.bytes, quarantineTenant(target.spec, e.source, target.tenants));
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

/** PostgreSQL refused a path: the transaction was rolled back; the batch goes by the next path. */
class PathRefused extends Error {
  constructor(cause: unknown) {
    super('load path refused', { cause });
  }
}

type LoadPath = 'copy' | 'bulk' | 'rows';

/** Whether PostgreSQL itself answered with an error (a SQLSTATE), as opposed to a lost connection. */
function isServerError(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown };
  return typeof e.code === 'string' && typeof e.severity === 'string';
}

/**
 * Loads a batch and moves the range's checkpoint to `lastId`, atomically; with `done`, also closes
 * the range. Takes the fastest path that applies (see the module comment); a refused path rolls
 * the whole transaction back before the next one runs, so a batch is never half-loaded. Throws
 * LostClaimError (nothing written) when another worker took the range over.
 *
 * @example
 * const counts = await loadBatch(ds, target, range, builder.build(), lastId, false);
 */
export async function loadBatch(
  ds: PostgresDataSource,
  target: BatchTarget,
  range: ClaimedRange,
  batch: PreparedBatch,
  lastId: { value: unknown } | null,
  done: boolean,
): Promise<BatchCounts> {
  const direct = range.pass === 1 && !(isTenantScoped(target.spec) && target.perTenant);
  const paths: LoadPath[] = direct ? ['copy', 'bulk', 'rows'] : ['bulk', 'rows'];
  for (let i = 0; ; i++) {
    try {
      return await loadBatchOnce(ds, target, range, batch, lastId, done, paths[i]!);
    } catch (err) {
      if (!(err instanceof PathRefused) || i === paths.length - 1) throw err;
    }
  }
}

async function loadBatchOnce(
  ds: PostgresDataSource,
  target: BatchTarget,
  range: ClaimedRange,
  batch: PreparedBatch,
  lastId: { value: unknown } | null,
  done: boolean,
  path: LoadPath,
): Promise<BatchCounts> {
  const { spec } = target;
  return ds.transaction(async (tx) => {
    const { rows } = batch;
    const quarantine: QuarantineEntry[] = [...batch.quarantine];
    let inserted: Inserted = { count: 0, legacyIds: [] };
    let loaded: readonly RowOutcome[] = rows;
    // The tenant keys this batch met, recorded with it (a conflict throws: not a row's refusal).
    if (batch.tenantKeys?.length) await recordTenantKeys(tx, batch.tenantKeys, `convert ${spec.module}.${spec.name}`);
    if (rows.length) {
      if (spec.partitionedBy) {
        for (const month of monthsOf(spec, rows)) {
          await tx.query(`select core.ensure_monthly_partition($1::regclass, $2::timestamptz)`, [tableOf(spec), month]);
        }
      }
      if (path === 'copy') {
        try {
          inserted = await directCopy(tx, spec, batch);
        } catch (err) {
          if (isServerError(err)) throw new PathRefused(err);
          throw err;
        }
      } else if (path === 'bulk') {
        try {
          inserted = await bulkInsert(tx, spec, batch, target.perTenant, target.pass > 1);
        } catch (err) {
          if (isDataRefusal(err)) throw new PathRefused(err);
          throw err;
        }
      } else {
        const before = quarantine.length;
        const ids = await insertOneByOne(tx, spec, rows, quarantine, target.perTenant);
        inserted = { count: ids.size, legacyIds: [...ids] };
        const refused = new Set(quarantine.slice(before).map((q) => q.legacyId));
        loaded = rows.filter((r) => !refused.has(r.legacyId));
      }
    }
    if (quarantine.length) await writeQuarantine(tx, target, quarantine);
    if (target.pass > 1 && inserted.count) {
      // A document quarantined by an earlier pass that converts now is no longer in quarantine.
      await tx.query(`delete from core.conversion_quarantine where module = $1 and collection = $2 and legacy_id = any($3::text[])`, [
        spec.module,
        spec.collection,
        inserted.legacyIds,
      ]);
    }
    const counts: BatchCounts = {
      converted: inserted.count,
      present: loaded.length - inserted.count,
      skipped: batch.skipped,
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
