import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { ModuleName } from '../../interfaces/modules.js';
import type { AuditRecord } from '../../interfaces/repository.js';

/**
 * The audit-log entity (docs/postgres-patterns.md §3.5), declared once and instantiated per module that keeps one.
 * Rows are written by the repositories in the same transaction as the change they describe.
 * The PostgreSQL table needs: actor_id uuid null, action text, entity_type text, entity_id uuid,
 * at timestamptz(3), diff jsonb (see authority's migration for the DDL).
 */
export function auditLogSpec(module: ModuleName, collection: string, schema: string, table = 'audit_log'): EntitySpec<AuditRecord> {
  return Object.freeze({
    module,
    name: 'audit_log',
    collection,
    schema,
    table,
    fields: [
      { name: 'actorId', type: 'uuid', nullable: true },
      { name: 'action', type: 'text', enum: ['insert', 'update', 'delete'] },
      { name: 'entityType', type: 'text' },
      { name: 'entityId', type: 'uuid' },
      { name: 'at', type: 'timestamp' },
      { name: 'diff', type: 'json' },
    ],
    orders: {
      default: { fields: [{ field: 'at', dir: 'desc' }] },
      byEntity: { fields: [{ field: 'entityId', dir: 'asc' }, { field: 'at', dir: 'asc' }] },
    },
    tier: { tier: 'A' },
  } satisfies EntitySpec<AuditRecord>);
}
