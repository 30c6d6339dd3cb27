import { randomUUID } from 'node:crypto';
import type { Clock } from '../interfaces/clock.js';
import { nextTimestamp } from '../interfaces/clock.js';
import type { Entity, EntitySpec, OrderSpec } from '../interfaces/entity-spec.js';
import { PersistenceError, ValidationError } from '../interfaces/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type ListQuery } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { canonicalEntity, canonicalJson } from './canonical.js';
import { fieldOf, fieldsOf, isTenantScoped, qualifiedName } from './fields.js';
import { validateEntity } from './validate.js';

/**
 * The backend-independent half of every repository write: filling standard fields, merging a
 * patch, validating. Both generic repositories call these, so they accept and refuse the same input.
 */

export function prepareInsert<E extends Entity>(spec: EntitySpec, ctx: TenantContext, input: Record<string, unknown>, clock: Clock): E {
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
  return validateEntity<E & Record<string, unknown>>(spec, merged);
}

/** The declared order a list uses, with every field checked to exist and be non-nullable. */
export function resolveOrder(spec: EntitySpec, name: string | undefined): { name: string; order: OrderSpec } {
  const orderName = name ?? 'default';
  const order = spec.orders[orderName];
  if (!order) throw new PersistenceError(`${qualifiedName(spec)} has no list order ${JSON.stringify(orderName)}`);
  for (const { field } of order.fields) {
    if (fieldOf(spec, field).nullable) throw new Error(`${qualifiedName(spec)} order ${orderName}: ${field} is nullable (keyset paging needs non-null keys)`);
  }
  return { name: orderName, order };
}

export function pageSize(query: ListQuery<Entity> | undefined): number {
  const limit = query?.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new PersistenceError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}`);
  }
  return limit;
}

/** Checks the fields of a `where` / `range` exist and their values are legal, before any query. */
export function checkFilter(spec: EntitySpec, query: ListQuery<Entity> | { where?: Record<string, unknown> } | undefined): void {
  const where = (query?.where ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(where)) {
    const field = fieldOf(spec, name);
    if (field.type === 'json') throw new PersistenceError(`${qualifiedName(spec)}: cannot filter on JSON field ${name}`);
    if (value === null || value === undefined) continue;
    const probe = validateEntityField(spec, name, value);
    if (probe) throw new ValidationError(qualifiedName(spec), name, probe);
  }
  const range = (query as ListQuery<Entity> | undefined)?.range;
  if (range && fieldOf(spec, range.field).type !== 'timestamp') {
    throw new PersistenceError(`${qualifiedName(spec)}: range needs a timestamp field, ${range.field} is not`);
  }
}

function validateEntityField(spec: EntitySpec, name: string, value: unknown): string | null {
  const field = fieldOf(spec, name);
  try {
    validateEntity(
      { ...spec, fields: [{ name: 'probe', type: field.type, enum: field.enum ?? undefined, allowNonFinite: field.allowNonFinite }], tenantScoped: false } as EntitySpec,
      { id: '00000000-0000-0000-0000-000000000000', createdAt: new Date(0), updatedAt: new Date(0), probe: value },
    );
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^[^:]*: /, '');
  }
}
