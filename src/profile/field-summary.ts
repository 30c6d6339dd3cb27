import type { Schema, SchemaField, SchemaType } from 'mongodb-schema';
import type { EntitySpec, FieldType } from '../interfaces/entity-spec.js';
import { fieldsOf } from '../codec/fields.js';

/**
 * The fields of a legacy collection as `mongodb-schema` (MongoDB Compass's schema inference) found
 * them, against the entity's declaration: each top-level field with its BSON types and how often each
 * occurs, declared or not, and for documents and arrays the BSON types found anywhere inside them
 * (typed values inside a `json` payload) and the `$`-prefixed keys they hold.
 */

export interface TypeCount {
  /** mongodb-schema's type name (`String`, `Int32`, `Double`, `Long`, `Decimal128`, `Date`, `ObjectId`, `Binary`, `Document`, `Array`, `Null`...), `UUID` for a subtype-4 Binary. */
  readonly type: string;
  readonly count: number;
  /** mongodb-schema's probability: count / documents profiled, 4 decimals. */
  readonly frequency: number;
}

export interface FieldProfile {
  /** Legacy (MongoDB) field name. */
  readonly name: string;
  /** The declaration names it (a stored field, or `_id`). */
  readonly declared: boolean;
  /** Its declared domain type, when declared. */
  readonly declaredType: FieldType | null;
  /** Documents holding the field (null included). */
  readonly count: number;
  readonly frequency: number;
  /** BSON types of the field's value, most frequent first. */
  readonly types: readonly TypeCount[];
  /** Inside documents and arrays: BSON types found at any depth (counts of values, not documents). */
  readonly nestedTypes: readonly { readonly type: string; readonly count: number }[];
  /** `$`-prefixed keys found inside (a stored update, `$schema`), sorted, at most 10. */
  readonly dollarKeys: readonly string[];
}

/** mongodb-schema semantic type: subtype-4 Binary is a UUID (the codec reads it as one). */
export const UUID_SEMANTIC_TYPE = {
  UUID: (value: unknown) => (value as { _bsontype?: string; sub_type?: number })?._bsontype === 'Binary' && (value as { sub_type?: number }).sub_type === 4,
};

const round = (n: number) => Math.round(n * 10_000) / 10_000;
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function nested(types: readonly SchemaType[], counts: Map<string, number>, dollar: Set<string>): void {
  for (const t of types) {
    const inner = t as SchemaType & { fields?: SchemaField[]; types?: SchemaType[] };
    if (inner.fields) {
      for (const f of inner.fields) {
        if (f.name.startsWith('$')) dollar.add(f.name);
        for (const ft of f.types) {
          if (ft.name === 'Undefined') continue;
          counts.set(ft.name, (counts.get(ft.name) ?? 0) + ft.count);
        }
        nested(f.types, counts, dollar);
      }
    }
    if (inner.types) {
      for (const et of inner.types) counts.set(et.name, (counts.get(et.name) ?? 0) + et.count);
      nested(inner.types, counts, dollar);
    }
  }
}

/**
 * The field profiles of one collection, `_id` first, then by name.
 *
 * @example
 * const fields = fieldProfiles(userSpec, await parseSchema(documents, { storeValues: false }));
 */
export function fieldProfiles(spec: EntitySpec, schema: Schema): { fields: FieldProfile[]; absentDeclared: string[] } {
  const declared = new Map<string, FieldType>();
  for (const f of fieldsOf(spec)) if (!f.generated) declared.set(f.mongo, f.type);
  const fields = schema.fields.map((f): FieldProfile => {
    const counts = new Map<string, number>();
    const dollar = new Set<string>();
    nested(f.types, counts, dollar);
    return {
      name: f.name,
      declared: declared.has(f.name),
      declaredType: declared.get(f.name) ?? null,
      count: f.count,
      // mongodb-schema's probabilities of a top-level field and its types are per document profiled.
      frequency: round(f.probability),
      types: f.types
        .filter((t) => t.name !== 'Undefined')
        .map((t) => ({ type: t.name, count: t.count, frequency: round(t.probability) }))
        .sort((a, b) => b.count - a.count || byText(a.type, b.type)),
      nestedTypes: [...counts.entries()].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || byText(a.type, b.type)),
      dollarKeys: [...dollar].sort(byText).slice(0, 10),
    };
  });
  fields.sort((a, b) => (a.name === '_id' ? -1 : b.name === '_id' ? 1 : byText(a.name, b.name)));
  const present = new Set(fields.map((f) => f.name));
  return { fields, absentDeclared: [...declared.keys()].filter((n) => !present.has(n)).sort(byText) };
}
