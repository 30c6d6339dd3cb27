import type { DatabaseError } from 'pg';
import type { Clock } from '../../../interfaces/clock.js';
import { nextTimestamp, systemClock } from '../../../interfaces/clock.js';
import type { EntitySpec } from '../../../interfaces/entity-spec.js';
import { DuplicateKeyError, PersistenceError, ValidationError } from '../../../interfaces/errors.js';
import type { ChangeHook, ChangeRecord, Page } from '../../../interfaces/repository.js';
import { checkTenantContext, type TenantContext } from '../../../interfaces/tenant-context.js';
import type { AsOf, BitemporalChange, UnknownAssertion, UnknownRecord, UnknownsPageQuery, UnknownsRepository } from '../../../interfaces/unknowns.js';
import { checkSubject, checkTimes, openedRecord, planAssertion } from './rules.js';
import { decodeCursor, encodeCursor } from '../../../codec/cursor.js';
import { pageSize } from '../../../codec/entity-lifecycle.js';
import { fieldOf, qualifiedName } from '../../../codec/fields.js';
import { validateEntity } from '../../../codec/validate.js';
import type { PostgresDataSource, Tx } from '../../../postgres/data-source.js';
import { ident, qualified } from '../../../postgres/data-source.js';
import { insertSql, selectList, tableOf } from '../../../postgres/entity-sql.js';
import { fromRow, toParams } from '../../../postgres/row-codec.js';

/**
 * The bitemporal Unknowns repository on PostgreSQL (docs/postgres-patterns.md §3.4). An assertion runs in one unit of
 * work: a transaction-scoped advisory lock on (tenant, subject, kind) serialises writers of the same
 * subject, the believed rows are read, {@link planAssertion} decides, superseded rows get their
 * `sys_to` (the only UPDATE, which the table's trigger also enforces) and new rows are inserted.
 * Reads go through `unknowns.current`, `unknowns.as_of` and `unknowns.subject_as_of`.
 *
 * Works for any entity declaring the fields subjectHash, kind, context, validFrom, validTo, sysFrom,
 * sysTo; the SQL objects are looked up in the entity's schema.
 *
 * @example
 * const unknowns = new PostgresBitemporalRepository(unknownSpec, dataSource);
 * await unknowns.record(ctx, { subjectHash, kind: 'missing_vex', context: { purl } });
 * const page = await unknowns.asOf(ctx, { systemTime: lastWeek, validTime: lastWeek });
 */
export class PostgresBitemporalRepository implements UnknownsRepository {
  private readonly hooks: ChangeHook[] = [];
  /** A declared field's column. Text equality is written `collate "C"` (identical results for equality)
   * so the subject index, whose text columns are "C" for the byte order of lists, serves it. */
  private readonly col: (field: string) => string;

  constructor(
    readonly spec: EntitySpec,
    readonly ds: PostgresDataSource,
    private readonly clock: Clock = systemClock,
  ) {
    this.col = (field) => ident(fieldOf(spec, field).column);
  }

  /** Registers a hook run inside each assertion's transaction, once per row written (DualWrite). */
  onChange(hook: ChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  private row(row: Record<string, unknown>): UnknownRecord {
    return fromRow<UnknownRecord>(this.spec, row);
  }

  record(ctx: TenantContext, input: { subjectHash: string; kind: string; context: Record<string, unknown>; validFrom?: Date }): Promise<BitemporalChange> {
    return this.correct(ctx, { subjectHash: input.subjectHash, kind: input.kind, context: input.context, validFrom: input.validFrom ?? this.clock.now(), validTo: null });
  }

  resolve(ctx: TenantContext, input: { subjectHash: string; kind: string; at?: Date }): Promise<BitemporalChange> {
    return this.correct(ctx, { subjectHash: input.subjectHash, kind: input.kind, context: null, validFrom: input.at ?? this.clock.now(), validTo: null });
  }

  async correct(ctx: TenantContext, a: UnknownAssertion): Promise<BitemporalChange> {
    checkSubject(qualifiedName(this.spec), a.subjectHash, a.kind);
    return this.ds.withTenant(ctx, async (tx) => {
      // Two writers of one subject would both read "no open row" and both insert one.
      await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`${qualifiedName(this.spec)}|${checkTenantContext(ctx)}|${a.subjectHash}|${a.kind}`]);
      const believed = (
        await tx.query(
          `select ${selectList(this.spec)} from ${tableOf(this.spec)} where tenant_id = $1 and ${this.col('subjectHash')} collate "C" = $2 and ${this.col('kind')} collate "C" = $3 and ${this.col('sysTo')} is null order by ${this.col('validFrom')}, id for update`,
          [checkTenantContext(ctx), a.subjectHash, a.kind],
        )
      ).rows.map((r) => ({ entity: this.row(r), legacyId: (r.legacy_id as string | null) ?? null }));
      const plan = planAssertion(qualifiedName(this.spec), believed.map((b) => b.entity), a);
      if (plan.close.length === 0 && plan.open.length === 0) return { closed: [], opened: [] };

      // System time never runs backwards for a subject, even if the clock does.
      const latest = Math.max(this.clock.now().getTime(), ...believed.map((b) => b.entity.sysFrom.getTime()));
      const now = new Date(latest);
      const closed: UnknownRecord[] = [];
      for (const r of plan.close) {
        const legacyId = believed.find((b) => b.entity.id === r.id)!.legacyId;
        const res = await tx.query(
          `update ${tableOf(this.spec)} set ${this.col('sysTo')} = $3, updated_at = $4 where id = $1 and tenant_id = $2 and ${this.col('sysTo')} is null returning ${selectList(this.spec)}`,
          [r.id, checkTenantContext(ctx), now, nextTimestamp(this.clock, r.updatedAt)],
        );
        if (!res.rows[0]) throw new PersistenceError(`${qualifiedName(this.spec)} ${r.id} was closed concurrently; retry`);
        const row = this.row(res.rows[0]);
        closed.push(row);
        await this.emit(tx, ctx, row, legacyId);
      }
      const opened: UnknownRecord[] = [];
      for (const p of plan.open) {
        const entity = validateEntity<UnknownRecord & Record<string, unknown>>(this.spec, openedRecord(checkTenantContext(ctx), a, p, now) as unknown as Record<string, unknown>);
        const { columns, params } = toParams(this.spec, entity);
        const res = await this.run(tx, insertSql(this.spec, columns), [...params, null]);
        const row = this.row(res.rows[0]!);
        opened.push(row);
        await this.emit(tx, ctx, row, null);
      }
      return { closed, opened };
    });
  }

  async current(ctx: TenantContext, query: UnknownsPageQuery = {}): Promise<Page<UnknownRecord>> {
    return this.page(ctx, qualified(this.spec.schema, 'current'), [], query, 'current');
  }

  async asOf(ctx: TenantContext, at: AsOf, query: UnknownsPageQuery = {}): Promise<Page<UnknownRecord>> {
    checkTimes(qualifiedName(this.spec), at);
    return this.page(ctx, `${qualified(this.spec.schema, 'as_of')}($1, $2)`, [at.systemTime, at.validTime], query, 'asOf');
  }

  async subjectAsOf(ctx: TenantContext, subjectHash: string, kind: string, at: AsOf): Promise<UnknownRecord | null> {
    checkSubject(qualifiedName(this.spec), subjectHash, kind);
    checkTimes(qualifiedName(this.spec), at);
    const rows = await this.ds.withTenant(ctx, async (tx) =>
      (
        await tx.query(
          `select ${selectList(this.spec)} from ${qualified(this.spec.schema, 'subject_as_of')}($1, $2, $3, $4) where tenant_id = $5`,
          [subjectHash, kind, at.systemTime, at.validTime, checkTenantContext(ctx)],
        )
      ).rows,
    );
    if (rows.length > 1) throw new PersistenceError(`${qualifiedName(this.spec)}: ${rows.length} rows of one subject overlap at valid ${at.validTime.toISOString()} (believed at ${at.systemTime.toISOString()})`);
    return rows[0] ? this.row(rows[0]) : null;
  }

  async history(ctx: TenantContext, subjectHash: string, kind: string): Promise<UnknownRecord[]> {
    checkSubject(qualifiedName(this.spec), subjectHash, kind);
    return this.ds.withTenant(ctx, async (tx) =>
      (
        await tx.query(
          `select ${selectList(this.spec)} from ${tableOf(this.spec)} where tenant_id = $1 and ${this.col('subjectHash')} collate "C" = $2 and ${this.col('kind')} collate "C" = $3 order by ${this.col('sysFrom')}, ${this.col('validFrom')}, id`,
          [checkTenantContext(ctx), subjectHash, kind],
        )
      ).rows.map((r) => this.row(r)),
    );
  }

  /** One keyset page of `source` in (subjectHash, kind) byte order, which is unique in every snapshot. */
  private async page(ctx: TenantContext, source: string, params: unknown[], query: UnknownsPageQuery, order: string): Promise<Page<UnknownRecord>> {
    const limit = pageSize({ limit: query.limit });
    const p = [...params];
    const add = (v: unknown) => {
      p.push(v);
      return `$${p.length}`;
    };
    const subject = `${this.col('subjectHash')} collate "C"`;
    const kind = `${this.col('kind')} collate "C"`;
    const where = [`tenant_id = ${add(checkTenantContext(ctx))}`];
    if (query.kind !== undefined) where.push(`${this.col('kind')} = ${add(query.kind)}`);
    if (query.after) {
      const c = decodeCursor(query.after, 'pg', order, { entity: qualifiedName(this.spec), keys: [fieldOf(this.spec, 'subjectHash'), fieldOf(this.spec, 'kind')], tie: 'uuid' });
      where.push(`(${subject}, ${kind}) > (${add(c.keys[0])} collate "C", ${add(c.keys[1])} collate "C")`);
    }
    const sql = `select ${selectList(this.spec)} from ${source} where ${where.join(' and ')} order by ${subject}, ${kind} limit ${add(limit + 1)}`;
    const rows = await this.ds.withTenant(ctx, async (tx) => (await tx.query(sql, p)).rows);
    const items = rows.slice(0, limit).map((r) => this.row(r));
    const last = items[items.length - 1];
    const next = rows.length > limit && last ? encodeCursor({ backend: 'pg', order, keys: [last.subjectHash, last.kind], tie: last.id }) : null;
    return { items, next };
  }

  private async emit(tx: Tx, ctx: TenantContext, row: UnknownRecord, legacyId: string | null): Promise<void> {
    const change: ChangeRecord<UnknownRecord> = { op: 'upsert', id: row.id, entity: row, at: row.updatedAt, legacyId, audit: null };
    for (const hook of this.hooks) await hook(change as unknown as ChangeRecord, ctx, tx);
  }

  private async run(tx: Tx, sql: string, params: unknown[]) {
    try {
      return await tx.query(sql, params);
    } catch (err) {
      const e = err as DatabaseError;
      if (e.code === '23505') throw new DuplicateKeyError(qualifiedName(this.spec), e.constraint ?? 'key', { cause: err });
      if (e.code === '23514' || e.code === '22P02' || e.code === '22021') throw new ValidationError(qualifiedName(this.spec), e.constraint ?? 'row', e.message);
      throw err;
    }
  }
}
