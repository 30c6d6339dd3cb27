import { ValidationError } from './errors.js';

/**
 * Who is asking. Every repository call takes one; tenant-scoped data is filtered by `tenantId`
 * on MongoDB and by row-level security on PostgreSQL.
 *
 * @example
 * const ctx = tenantContext('3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', { actorId: '0b5c1a7e-2d44-4f0e-9a51-6c3f2e8d9b10' });
 * await users.get(ctx, userId);
 */
export interface TenantContext {
  readonly tenantId: string;
  /** The user or service account acting; recorded in audit rows. */
  readonly actorId?: string | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** What a bad context value is, for the error message (never its content: it may be an operator object). */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'null prototype'})`;
  return `a ${typeof value}`;
}

/**
 * Refuses a context that is not what {@link tenantContext} builds. Every backend calls it before
 * scoping a query, so a hand-made `{ tenantId: { $ne: null } }` can never widen a MongoDB filter
 * or reach PostgreSQL's `set_config`. Returns the checked tenant id.
 */
export function checkTenantContext(ctx: unknown): string {
  if (ctx === null || typeof ctx !== 'object') throw new ValidationError('TenantContext', 'tenantId', `a tenant context is required, got ${describe(ctx)}`);
  const { tenantId, actorId } = ctx as { tenantId?: unknown; actorId?: unknown };
  if (!isUuid(tenantId)) throw new ValidationError('TenantContext', 'tenantId', `must be a lowercase UUID, got ${describe(tenantId)}`);
  if (actorId != null && !isUuid(actorId)) throw new ValidationError('TenantContext', 'actorId', `must be a lowercase UUID or null, got ${describe(actorId)}`);
  return tenantId;
}

/**
 * Builds a frozen context; refuses (ValidationError) a tenant or actor that is not a lowercase UUID.
 *
 * @example
 * const ctx = tenantContext('3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10');
 */
export function tenantContext(tenantId: string, options: { actorId?: string | null } = {}): TenantContext {
  checkTenantContext({ tenantId, actorId: options.actorId });
  return Object.freeze({ tenantId, actorId: options.actorId ?? null });
}
