import type { EntitySpec, FieldSpec, FieldType } from '../interfaces/entity-spec.js';

/** A field with its column and legacy names resolved. */
export interface ResolvedField {
  readonly name: string;
  readonly type: FieldType;
  readonly column: string;
  readonly mongo: string;
  readonly nullable: boolean;
  readonly allowNonFinite: boolean;
  readonly enum: readonly string[] | null;
  readonly generated: boolean;
  readonly sensitive: boolean;
  readonly standard: boolean;
}

export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function resolve(field: FieldSpec, standard: boolean): ResolvedField {
  return Object.freeze({
    name: field.name,
    type: field.type,
    column: field.column ?? snakeCase(field.name),
    mongo: field.mongo ?? field.name,
    nullable: field.nullable ?? false,
    allowNonFinite: field.allowNonFinite ?? false,
    enum: field.enum ?? null,
    generated: field.generated ?? false,
    sensitive: field.sensitive ?? false,
    standard,
  });
}

const cache = new WeakMap<EntitySpec, readonly ResolvedField[]>();

/** Every field of the entity, standard ones first, in declaration order (stable: reports depend on it). */
export function fieldsOf(spec: EntitySpec): readonly ResolvedField[] {
  let fields = cache.get(spec);
  if (fields) return fields;
  const standard: FieldSpec[] = [{ name: 'id', type: 'uuid', mongo: '_id' }];
  if (isTenantScoped(spec)) standard.push({ name: 'tenantId', type: 'uuid' });
  standard.push({ name: 'createdAt', type: 'timestamp' }, { name: 'updatedAt', type: 'timestamp' });
  const seen = new Set<string>();
  fields = Object.freeze([
    ...standard.map((f) => resolve(f, true)),
    ...spec.fields.map((f) => resolve(f, false)),
  ]);
  for (const f of fields) {
    if (seen.has(f.name)) throw new Error(`${spec.module}.${spec.name}: field ${f.name} declared twice`);
    seen.add(f.name);
  }
  cache.set(spec, fields);
  return fields;
}

export function fieldOf(spec: EntitySpec, name: string): ResolvedField {
  const field = fieldsOf(spec).find((f) => f.name === name);
  if (!field) throw new Error(`${spec.module}.${spec.name} has no field ${JSON.stringify(name)}`);
  return field;
}

export function isTenantScoped(spec: EntitySpec): boolean {
  return spec.tenantScoped ?? true;
}

/** `Module.entity`, the name used in errors, tokens and reports. */
export function qualifiedName(spec: EntitySpec): string {
  return `${spec.module}.${spec.name}`;
}
