import type { DatabaseError } from 'pg';
import type { Clock } from '../interfaces/clock.js';
import { nextTimestamp, systemClock } from '../interfaces/clock.js';
import type { Entity, EntityPatch, EntitySpec, NewEntity } from '../interfaces/entity-spec.js';
import { DuplicateKeyError, NotFoundError, ValidationError } from '../interfaces/errors.js';
import type { AuditRecord, ChangeHook, ChangeRecord, EntityRepository, ListQuery, Page, ReplicaOutcome } from '../interfaces/repository.js';
import { checkTenantContext, type TenantContext } from '../interfaces/tenant-context.js';
import { buildAudit } from '../codec/audit.js';
import { decodeCursor, encodeCursor } from '../codec/cursor.js';
import { checkFilter, checkId, cursorShape, pageSize, prepareInsert, prepareUpdate, resolveOrder } from '../codec/entity-lifecycle.js';
import { qualifiedName } from '../codec/fields.js';
import type { PostgresDataSource, Tx } from './data-source.js';
import { deleteSql, getSql, idParams, insertSql, SelectBuilder, tableOf, updateSql, upsertSql } from './entity-sql.js';
import { fromRow, toParams } from './row-codec.js';
import { StatementPrelude, withPrelude } from './statement-prelude.js';

/**
 * The generic PostgreSQL repository: one class for every entity, driven by its declaration.
 * Every call is one unit of work: a transaction with the tenant set (row-level security does the
 * isolation), the audit row and the change hooks (DualWrite's pending log) inside it.
 *
 * @example
 * const users = new PostgresRepository<User>(userSpec, dataSource);
 * const page = await users.list(ctx, { order: 'default', limit: 50 });
 */
export class PostgresRepository<E extends Entity> implements EntityRepository<E> {
  private readonly hooks: ChangeHook[] = [];

  constructor(
    readonly spec: EntitySpec,
    readonly ds: PostgresDataSource,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Registers a hook run inside each write's transaction. */
  onChange(hook: ChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  private row(row: Record<string, unknown>): E {
    return fromRow<E>(this.spec, row);
  }

  async insert(ctx: TenantContext, input: NewEntity<E>): Promise<E> {
    const entity = prepareInsert<E>(this.spec, ctx, input as Record<string, unknown>, this.clock);
    return this.ds.withTenant(ctx, async (tx) => {
      const { columns, params } = toParams(this.spec, entity as unknown as Record<string, unknown>);
      const res = await this.run(tx, insertSql(this.spec, columns), [...params, null]);
      const stored = this.row(res.rows[0]!);
      await this.committed(tx, ctx, { op: 'upsert', id: stored.id, entity: stored, at: stored.updatedAt, legacyId: null, audit: this.audit(ctx, 'insert', null, stored, stored.updatedAt) });
      return stored;
    });
  }

  async get(ctx: TenantContext, id: string): Promise<E | null> {
    checkId(this.spec, id);
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(getSql(this.spec), idParams(this.spec, id, ctx.tenantId));
      return res.rows[0] ? this.row(res.rows[0]) : null;
    });
  }

  async findOne(ctx: TenantContext, where: Partial<E>): Promise<E | null> {
    checkFilter(this.spec, { where: where as Record<string, unknown> });
    const q = new SelectBuilder(this.spec).tenant(checkTenantContext(ctx)).where(where as Record<string, unknown>);
    const sql = q.build({ fields: [] }, 1);
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(sql, q.params);
      return res.rows[0] ? this.row(res.rows[0]) : null;
    });
  }

  async list(ctx: TenantContext, query: ListQuery<E> = {}): Promise<Page<E>> {
    checkFilter(this.spec, query);
    const { name, order } = resolveOrder(this.spec, query.order);
    const limit = pageSize(query, qualifiedName(this.spec));
    const q = new SelectBuilder(this.spec).tenant(checkTenantContext(ctx)).where(query.where as Record<string, unknown>).range(query.range);
    if (query.after) {
      const cursor = decodeCursor(query.after, 'pg', name, cursorShape(this.spec, order, 'uuid'));
      q.after(order, cursor.keys, cursor.tie);
    }
    const sql = q.build(order, limit + 1);
    const rows = await this.ds.withTenant(ctx, async (tx) => (await tx.query(sql, q.params)).rows);
    const items = rows.slice(0, limit).map((r) => this.row(r));
    let next: string | null = null;
    if (rows.length > limit) {
      const last = items[items.length - 1]! as unknown as Record<string, unknown>;
      next = encodeCursor({ backend: 'pg', order: name, keys: order.fields.map(({ field }) => last[field]), tie: last.id as string });
    }
    return { items, next };
  }

  async update(ctx: TenantContext, id: string, patch: EntityPatch<E>): Promise<E> {
    checkId(this.spec, id);
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(getSql(this.spec, true), idParams(this.spec, id, ctx.tenantId));
      if (!res.rows[0]) throw new NotFoundError(qualifiedName(this.spec), id);
      const current = this.row(res.rows[0]);
      const next = prepareUpdate<E>(this.spec, current, patch as Record<string, unknown>, this.clock);
      const { columns, params } = toParams(this.spec, next as unknown as Record<string, unknown>);
      const { sql } = updateSql(this.spec, columns);
      const updated = await this.run(tx, sql, [...idParams(this.spec, id, ctx.tenantId), ...params]);
      const stored = this.row(updated.rows[0]!);
      await this.committed(tx, ctx, { op: 'upsert', id, entity: stored, at: stored.updatedAt, legacyId: (res.rows[0].legacy_id as string | null) ?? null, audit: this.audit(ctx, 'update', current, stored, stored.updatedAt) });
      return stored;
    });
  }

  async delete(ctx: TenantContext, id: string): Promise<boolean> {
    checkId(this.spec, id);
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(deleteSql(this.spec, false), idParams(this.spec, id, ctx.tenantId));
      if (!res.rows[0]) return false;
      const before = this.row(res.rows[0]);
      const at = nextTimestamp(this.clock, before.updatedAt);
      await this.committed(tx, ctx, { op: 'delete', id, entity: null, at, legacyId: (res.rows[0].legacy_id as string | null) ?? null, audit: this.audit(ctx, 'delete', before, null, at) });
      return true;
    });
  }

  async applyReplica(ctx: TenantContext, change: ChangeRecord<E>): Promise<ReplicaOutcome> {
    return this.ds.withTenant(ctx, (tx) => this.applyReplicaTx(tx, ctx, change));
  }

  /** Applies a replicated change inside an existing transaction (reconciler, ConvertOnRead). */
  async applyReplicaTx(tx: Tx, ctx: TenantContext, change: ChangeRecord<E>): Promise<ReplicaOutcome> {
    let outcome: ReplicaOutcome;
    if (change.op === 'delete') {
      const exists = await tx.query(getSql(this.spec), idParams(this.spec, change.id, ctx.tenantId));
      if (!exists.rows[0]) outcome = 'skipped-missing';
      else {
        const res = await tx.query(deleteSql(this.spec, true), [...idParams(this.spec, change.id, ctx.tenantId), change.at]);
        outcome = res.rowCount ? 'applied' : 'skipped-newer';
      }
    } else {
      const { columns, params } = toParams(this.spec, change.entity as unknown as Record<string, unknown>);
      const res = await this.run(tx, upsertSql(this.spec, columns), [...params, change.legacyId]);
      outcome = res.rowCount ? 'applied' : 'skipped-newer';
    }
    if (change.audit) await this.writeAudit(tx, change.audit);
    return outcome;
  }

  private audit(ctx: TenantContext, action: AuditRecord['action'], before: E | null, after: E | null, at: Date): AuditRecord | null {
    return this.spec.audit ? buildAudit(this.spec, ctx, action, before, after, at) : null;
  }

  private auditStatement(audit: AuditRecord): StatementPrelude {
    const spec = this.spec.audit!;
    const { columns, params } = toParams(spec, audit as unknown as Record<string, unknown>);
    const cols = [...columns, 'legacy_id'].map((c) => `"${c}"`).join(', ');
    const values = [...params, null].map((_, i) => `$${i + 1}`).join(', ');
    // Idempotent: a replayed change carries the same audit id.
    return new StatementPrelude(`insert into ${tableOf(spec)} (${cols}) values (${values}) on conflict do nothing`, [...params, null]);
  }

  private async writeAudit(tx: Tx, audit: AuditRecord): Promise<void> {
    await this.auditStatement(audit).runIfLeft(tx);
  }

  /**
   * The audit row and the change hooks, inside the write's transaction. The audit insert is offered
   * to the first hook's statement (DualWrite's pending record carries it: no extra round trip).
   */
  private async committed(tx: Tx, ctx: TenantContext, change: ChangeRecord<E>): Promise<void> {
    const audit = change.audit ? this.auditStatement(change.audit) : null;
    for (const hook of this.hooks) await hook(change as ChangeRecord, ctx, withPrelude(tx, audit));
    await audit?.runIfLeft(tx);
  }

  /** Runs a write, turning constraint violations into the contract's errors. */
  private async run(tx: Tx, sql: string, params: unknown[]) {
    try {
      return await tx.query(sql, params);
    } catch (err) {
      const e = err as DatabaseError;
      if (e.code === '23505') throw new DuplicateKeyError(qualifiedName(this.spec), constraintKey(e.constraint), { cause: err });
      if (e.code === '23514' || e.code === '22P02' || e.code === '22021') {
        throw new ValidationError(qualifiedName(this.spec), e.column ?? e.constraint ?? 'row', e.message);
      }
      throw err;
    }
  }
}

function constraintKey(constraint: string | undefined): string {
  if (!constraint) return 'key';
  if (constraint.endsWith('_pkey')) return 'id';
  return constraint;
}
