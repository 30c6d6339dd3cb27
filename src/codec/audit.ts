import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { AuditRecord } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { canonicalEntity, canonicalJson } from './canonical.js';
import { qualifiedName } from './fields.js';
import { derivedUuid } from './ids.js';

/**
 * Builds the audit row of one change. Its id is derived from what it describes (entity, action,
 * time), so the same change replayed on the other store produces the same row: DualWrite and
 * parity see one audit history, not two.
 */
export function buildAudit(
  spec: EntitySpec,
  ctx: TenantContext,
  action: AuditRecord['action'],
  before: Entity | null,
  after: Entity | null,
  at: Date,
): AuditRecord {
  const subject = (after ?? before)!;
  const diff: Record<string, unknown> = {};
  const b = before ? canonicalEntity(spec, before as unknown as Record<string, unknown>) : null;
  const a = after ? canonicalEntity(spec, after as unknown as Record<string, unknown>) : null;
  if (action === 'insert') diff.after = a;
  else if (action === 'delete') diff.before = b;
  else {
    const changed: Record<string, unknown> = {};
    for (const key of Object.keys(a!)) {
      if (key === 'updatedAt') continue;
      if (canonicalJson(a![key] ?? null) !== canonicalJson(b![key] ?? null)) changed[key] = { from: b![key] ?? null, to: a![key] ?? null };
    }
    diff.changed = changed;
  }
  return {
    id: derivedUuid('audit', qualifiedName(spec), subject.id, action, at.toISOString()),
    tenantId: subject.tenantId ?? ctx.tenantId,
    actorId: ctx.actorId ?? null,
    action,
    entityType: qualifiedName(spec),
    entityId: subject.id,
    at,
    diff,
    createdAt: at,
    updatedAt: at,
  };
}
