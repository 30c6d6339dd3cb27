import { randomUUID } from 'node:crypto';
import type { Clock } from '../interfaces/clock.js';
import { nextTimestamp } from '../interfaces/clock.js';
import type { Entity, EntitySpec, OrderSpec } from '../interfaces/entity-spec.js';
import { ValidationError } from '../interfaces/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../interfaces/repository.js';
import { checkTenantContext, isUuid, type TenantContext } from '../interfaces/tenant-context.js';
import { canonicalEntity, canonicalJson } from './canonical.js';
import { fieldOf, fieldsOf, isTenantScoped, qualifiedName } from './fields.js';
import { validateEntity, valueProblem } from './validate.js';
import { legacyExtraOf, withLegacyExtra } from './legacy-extra.js';
import type { CursorShape } from './cursor.js';

/**
 * The backend-independent half of every repository write: filling standard fields, merging a
 * patch, validating. Both generic repositories call these, so they accept and refuse the same input.
 */

export function prepareInsert<E extends Entity>(spec: EntitySpec, ctx: TenantContext, input: Record<string, unknown>, clock: Clock): E {
  checkTenantContext(ctx);
  const now = nextTimestamp(clock, null);
  const candidate: Record<string, unknown> = { ...input, id: input.id ?? randomUUID() };
  if (isTenantScoped(spec)) {
    if (input.tenantId !== undefined && input.tenantId !== ctx.tenantId) {
      throw new ValidationError(qualifiedName(spec), 'tenantId', 'differs from the tenant of the unit of work');
    }
    candidate.tenantId = ctx.tenantId;
  }
  candidate.createdAt = input.createdAt ?? now;
  candidate.updatedAt = input.updatedAt ?? candidate.createdAt;
  if (spec.derive) Object.assign(candidate, spec.derive(candidate));
  return validateEntity<E & Record<string, unknown>>(spec, candidate);
}

export function prepareUpdate<E extends Entity>(spec: EntitySpec, current: E, patch: Record<string, unknown>, clock: Clock): E {
  for (const key of ['id', 'tenantId', 'createdAt', 'updatedAt']) {
    if (key in patch && patch[key] !== undefined) throw new ValidationError(qualifiedName(spec), key, 'cannot be changed by update');
  }
  for (const f of fieldsOf(spec)) {
    if (f.generated && patch[f.name] !== undefined) throw new ValidationError(qualifiedName(spec), f.name, 'is generated and cannot be written');
  }
  for (const name of spec.immutable ?? []) {
    const value = patch[name];
    if (value === undefined) continue;
    const before = canonicalEntity(spec, current as unknown as Record<string, unknown>)[name];
    const after = canonicalEntity(spec, { [name]: value })[name];
    if (canonicalJson(before ?? null) !== canonicalJson(after ?? null)) {
      throw new ValidationError(qualifiedName(spec), name, 'is immutable and cannot be changed by update');
    }
  }
  const merged: Record<string, unknown> = { ...(current as unknown as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) merged[k] = v;
  merged.updatedAt = nextTimestamp(clock, current.updatedAt);
  if (spec.derive) Object.assign(merged, spec.derive(merged));
  // The spread above drops the overflow (non-enumerable): an update keeps what is stored.
  return withLegacyExtra(validateEntity<E & Record<string, unknown>>(spec, merged), legacyExtraOf(current));
}

/** The declared order a list uses, with every field checked to exist and be non-nullable. */
export function resolveOrder(spec: EntitySpec, name: unknown): { name: string; order: OrderSpec } {
  const orderName = name ?? 'default';
  // Own properties only: `constructor` or `__proto__` must not resolve to Object.prototype's members.
  if (typeof orderName !== 'string' || !Object.hasOwn(spec.orders, orderName)) {
    throw new ValidationError(qualifiedName(spec), 'order', `has no list order ${describeArg(orderName)} (declared: ${Object.keys(spec.orders).join(', ')})`);
  }
  const order = spec.orders[orderName]!;
  for (const { field } of order.fields) {
    if (fieldOf(spec, field).nullable) throw new Error(`${qualifiedName(spec)} order ${orderName}: ${field} is nullable (keyset paging needs non-null keys)`);
  }
  return { name: orderName, order };
}

/** The keys and tie-breaker a cursor of `order` must hold (see {@link decodeCursor}). */
export function cursorShape(spec: EntitySpec, order: OrderSpec, tie: CursorShape['tie']): CursorShape {
  return { entity: qualifiedName(spec), keys: order.fields.map(({ field }) => fieldOf(spec, field)), tie };
}

export function pageSize(query: { limit?: unknown } | undefined, entity = 'list'): number {
  const limit = query?.limit ?? DEFAULT_PAGE_SIZE;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError(entity, 'limit', `must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${describeArg(limit)}`);
  }
  return limit;
}

/** Refuses an id argument that is not a lowercase UUID before it reaches a query. */
export function checkId(spec: EntitySpec, id: unknown): string {
  if (!isUuid(id)) throw new ValidationError(qualifiedName(spec), 'id', `must be a lowercase UUID, got ${describeArg(id)}`);
  return id;
}

/**
 * Checks a `where` / `range` before any query: a plain object of declared, filterable fields whose
 * values are legal values of those fields (never an operator object). `tenantId` is refused: the
 * tenant comes from the context alone, and every backend applies it after the caller's filter.
 */
export function checkFilter(spec: EntitySpec, query: { where?: unknown; range?: unknown } | undefined): void {
  const entity = qualifiedName(spec);
  const where = query?.where ?? {};
  if (!isPlainObject(where)) throw new ValidationError(entity, 'where', `must be a plain object of field values, got ${describeArg(where)}`);
  for (const [name, value] of Object.entries(where)) {
    if (name === 'tenantId') throw new ValidationError(entity, 'where.tenantId', 'cannot be filtered on: the tenant comes from the tenant context');
    const field = fieldsOf(spec).find((f) => f.name === name);
    if (!field) throw new ValidationError(entity, `where.${name}`, 'is not a declared field');
    if (field.type === 'json') throw new ValidationError(entity, `where.${name}`, 'is a JSON field, which cannot be filtered on');
    if (value === null || value === undefined) continue;
    const problem = valueProblem({ ...field, nullable: false }, value);
    if (problem) throw new ValidationError(entity, `where.${name}`, problem);
  }
  const range = query?.range;
  if (range === undefined || range === null) return;
  if (!isPlainObject(range)) throw new ValidationError(entity, 'range', `must be { field, gte?, lt? }, got ${describeArg(range)}`);
  const { field: rangeField, gte, lt, ...rest } = range as { field?: unknown; gte?: unknown; lt?: unknown };
  const extra = Object.keys(rest);
  if (extra.length) throw new ValidationError(entity, `range.${extra[0]}`, 'is not a range property (field, gte, lt)');
  const declared = typeof rangeField === 'string' ? fieldsOf(spec).find((f) => f.name === rangeField) : undefined;
  if (!declared || declared.type !== 'timestamp') {
    throw new ValidationError(entity, 'range.field', `must name a timestamp field, got ${describeArg(rangeField)}`);
  }
  for (const [key, bound] of [['gte', gte], ['lt', lt]] as const) {
    if (bound === undefined) continue;
    const problem = valueProblem({ ...declared, nullable: false }, bound);
    if (problem) throw new ValidationError(entity, `range.${key}`, problem);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short description of a caller's argument for an error message (never a whole object). */
function describeArg(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 60));
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'null prototype'})`;
  return `a ${typeof value}`;
}
