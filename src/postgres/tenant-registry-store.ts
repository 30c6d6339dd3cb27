import { TenantRegistry, type TenantMapping, type TenantOrigin } from '../codec/tenant-registry.js';
import { ConfigError } from '../interfaces/errors.js';
import type { Tx } from './data-source.js';

/**
 * core.tenant_registry (core 044): the durable record of the named tenant keys conversion met, read
 * and written by the maintenance role. README "Tenant registry".
 */

type Queryable = Pick<Tx, 'query'>;

/** A recorded key. */
export interface RecordedTenant extends TenantMapping {
  readonly recordedBy: string;
  readonly recordedAt: Date;
}

/** A pin contradicts what core.tenant_registry recorded: the tenant would move or merge. */
export class TenantRegistryConflictError extends ConfigError {}

/** The recorded keys, by key (code-unit order); null when core 044 is not applied yet. */
export async function readRecordedTenants(q: Queryable): Promise<RecordedTenant[] | null> {
  const exists = await q.query<{ t: string | null }>(`select to_regclass('core.tenant_registry')::text as t`);
  if (!exists.rows[0]?.t) return null;
  const res = await q.query<{ legacy_key: string; tenant_id: string; origin: TenantOrigin; recorded_by: string; recorded_at: Date }>(
    `select legacy_key, tenant_id::text as tenant_id, origin, recorded_by, recorded_at from core.tenant_registry order by legacy_key collate "C"`,
  );
  return res.rows.map((r) => ({ key: r.legacy_key, tenantId: r.tenant_id, origin: r.origin, recordedBy: r.recorded_by, recordedAt: r.recorded_at }));
}

/**
 * The conflicts between the registry's mapping (its pins) and recorded keys, as messages: a recorded
 * key that now maps elsewhere, or a pinned UUID recorded for another key.
 */
export function tenantConflicts(registry: TenantRegistry, recorded: readonly RecordedTenant[]): string[] {
  const problems: string[] = [];
  const pins = new Map(registry.pinned().map((p) => [p.key, p.tenantId]));
  const pinnedKeyOf = new Map(registry.pinned().map((p) => [p.tenantId, p.key]));
  for (const r of recorded) {
    const now = pins.get(r.key) ?? TenantRegistry.derived(r.key);
    if (now !== r.tenantId) {
      problems.push(
        `legacy tenant key ${JSON.stringify(r.key)} is recorded in core.tenant_registry as tenant ${r.tenantId} (${r.origin}, by ${r.recordedBy}) but now maps to ${now}${pins.has(r.key) ? ' (Tenants pin)' : ' (UUIDv5: no pin)'}; a tenant's UUID never changes: ${pins.has(r.key) ? `pin ${r.tenantId} or remove the pin` : `pin it to ${r.tenantId}`}`,
      );
    }
    const other = pinnedKeyOf.get(r.tenantId);
    if (other !== undefined && other !== r.key) {
      problems.push(`Tenants pins ${JSON.stringify(other)} to ${r.tenantId}, which core.tenant_registry records as the tenant of ${JSON.stringify(r.key)}; two legacy keys cannot be one tenant`);
    }
  }
  return problems;
}

/** Throws TenantRegistryConflictError for any {@link tenantConflicts}; otherwise teaches the registry the recorded keys. */
export function adoptRecordedTenants(registry: TenantRegistry, recorded: readonly RecordedTenant[]): void {
  const problems = tenantConflicts(registry, recorded);
  if (problems.length) throw new TenantRegistryConflictError(`Tenants: ${problems.join('; ')}`);
  registry.learn(recorded.map((r) => r.key));
}

/**
 * Records keys in the caller's transaction (conversion: the batch that met them), then proves every one
 * is recorded with the UUID it was converted to; a difference (a concurrent run with other pins) throws
 * and rolls the batch back.
 *
 * @example
 * await recordTenantKeys(tx, registry.unrecorded(), 'convert Authority.user');
 */
export async function recordTenantKeys(tx: Queryable, mappings: readonly TenantMapping[], by: string): Promise<void> {
  if (!mappings.length) return;
  const keys = mappings.map((m) => m.key);
  // Another key already holding one of these UUIDs would make the insert fail on the unique tenant_id
  // (an aborted transaction); find it first and say so.
  const taken = await tx.query<{ legacy_key: string; tenant_id: string }>(
    `select legacy_key, tenant_id::text as tenant_id from core.tenant_registry where tenant_id = any($1::uuid[]) and not (legacy_key = any($2::text[]))`,
    [mappings.map((m) => m.tenantId), keys],
  );
  if (taken.rows.length) {
    const r = taken.rows[0]!;
    const mine = mappings.find((m) => m.tenantId === r.tenant_id)!;
    throw new TenantRegistryConflictError(`Tenants: legacy tenant key ${JSON.stringify(mine.key)} maps to ${r.tenant_id}, which core.tenant_registry records as the tenant of ${JSON.stringify(r.legacy_key)}; two legacy keys cannot be one tenant`);
  }
  await tx.query(
    `insert into core.tenant_registry (legacy_key, tenant_id, origin, recorded_by)
     select k, t, o, $4 from unnest($1::text[], $2::uuid[], $3::text[]) as u(k, t, o)
     on conflict (legacy_key) do nothing`,
    [keys, mappings.map((m) => m.tenantId), mappings.map((m) => m.origin), by],
  );
  const rows = await tx.query<{ legacy_key: string; tenant_id: string }>(
    `select legacy_key, tenant_id::text as tenant_id from core.tenant_registry where legacy_key = any($1::text[])`,
    [keys],
  );
  const recorded = new Map(rows.rows.map((r) => [r.legacy_key, r.tenant_id]));
  for (const m of mappings) {
    if (recorded.get(m.key) !== m.tenantId) {
      throw new TenantRegistryConflictError(`Tenants: legacy tenant key ${JSON.stringify(m.key)} is recorded in core.tenant_registry as tenant ${recorded.get(m.key)}, not ${m.tenantId}; a tenant's UUID never changes`);
    }
  }
}
