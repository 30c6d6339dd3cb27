/**
 * Who is asking. Every repository call takes one; tenant-scoped data is filtered by `tenantId`
 * on MongoDB and by row-level security on PostgreSQL.
 *
 * @example
 * const ctx = tenantContext('3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', { actorId: '8d0e4a59-9d3e-4b7a-8f6f-2a103f1c7a52' });
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

/** Builds a frozen context; rejects a tenant that is not a lowercase UUID. */
export function tenantContext(tenantId: string, options: { actorId?: string | null } = {}): TenantContext {
  if (!isUuid(tenantId)) throw new TypeError(`tenantId must be a lowercase UUID, got ${JSON.stringify(tenantId)}`);
  if (options.actorId != null && !isUuid(options.actorId)) {
    throw new TypeError(`actorId must be a lowercase UUID, got ${JSON.stringify(options.actorId)}`);
  }
  return Object.freeze({ tenantId, actorId: options.actorId ?? null });
}
