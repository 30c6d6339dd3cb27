import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { AuditRecord, ChangeRecord } from '../interfaces/repository.js';
import { canonicalEntity } from './canonical.js';
import { fieldsOf } from './fields.js';
import { legacyExtraJson, withLegacyExtra } from './legacy-extra.js';
import { typedFromJson } from './typed-json.js';

/**
 * Lossless JSON of entities and change records, for the DualWrite pending log: the canonical
 * projection (Dates as ISO text, bigint / bytes / non-finite floats tagged, JSON payloads in the typed
 * JSON encoding) plus the overflow under `$legacyExtra` (only when there is one), and its inverse.
 */
export function entityToJson(spec: EntitySpec, entity: Record<string, unknown>): Record<string, unknown> {
  const json = canonicalEntity(spec, entity);
  const extra = legacyExtraJson(entity);
  if (Object.keys(extra).length > 0) json.$legacyExtra = extra;
  return json;
}

export function entityFromJson<E>(spec: EntitySpec, json: Record<string, unknown>): E {
  const out: Record<string, unknown> = {};
  for (const field of fieldsOf(spec)) {
    const v = json[field.name];
    out[field.name] = field.type === 'json' ? typedFromJson(v ?? null) : revive(field.type, v);
  }
  const extra = json.$legacyExtra;
  return withLegacyExtra(out, extra ? (typedFromJson(extra) as Record<string, unknown>) : null) as E;
}

function revive(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => revive(type, x));
  if (type === 'timestamp') return new Date(v as string);
  if (typeof v === 'object') {
    const o = v as Record<string, string>;
    if ('$bigint' in o) return BigInt(o.$bigint!);
    if ('$bytes' in o) return Buffer.from(o.$bytes!, 'base64');
    if ('$float' in o) return Number(o.$float);
  }
  return v;
}

export function changeToJson(spec: EntitySpec, change: ChangeRecord): Record<string, unknown> {
  return {
    op: change.op,
    id: change.id,
    at: change.at.toISOString(),
    legacyId: change.legacyId,
    entity: change.entity ? entityToJson(spec, change.entity as unknown as Record<string, unknown>) : null,
    audit: change.audit && spec.audit ? entityToJson(spec.audit, change.audit as unknown as Record<string, unknown>) : null,
  };
}

export function changeFromJson(spec: EntitySpec, json: Record<string, unknown>): ChangeRecord {
  return {
    op: json.op as ChangeRecord['op'],
    id: json.id as string,
    at: new Date(json.at as string),
    legacyId: (json.legacyId as string | null) ?? null,
    entity: json.entity ? entityFromJson(spec, json.entity as Record<string, unknown>) : null,
    audit: json.audit && spec.audit ? entityFromJson<AuditRecord>(spec.audit, json.audit as Record<string, unknown>) : null,
  };
}
