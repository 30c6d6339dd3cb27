import { canonicalEntity, canonicalJson } from '../codec/canonical.js';
import { fieldsOf } from '../codec/fields.js';
import { isoDate } from '../codec/iso-date.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';

/**
 * Canonical form of a repository output, for output parity: entities in their canonical projection,
 * pages as `{ items, hasNext }` (a keyset cursor is backend-specific by design: MongoDB's carries the
 * `_id`, PostgreSQL's the id), Dates as ISO text, bigints / bytes / non-finite numbers tagged as in
 * `canonicalEntity`. Entities that conversion should not have copied (tier-B windows) are left out of
 * lists and read as null, on both sides alike.
 */

/** A list gathered page by page by a generic probe. */
export class ListOutput {
  constructor(
    readonly items: readonly Record<string, unknown>[],
    /** Cut after the item cap, at the end of a tie group. */
    readonly truncated: boolean,
  ) {}
}

export interface CanonicalOptions {
  readonly spec: EntitySpec;
  /** Should conversion have copied this entity? */
  readonly keep: (entity: Record<string, unknown>) => boolean;
  /** Declared order of list outputs: ties are compared up to their tie-breaker. */
  readonly order?: string | null;
}

export function isEntityLike(spec: EntitySpec, value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) return false;
  return fieldsOf(spec).every((f) => f.name in (value as object));
}

/**
 * The canonical JSON value of a probe output.
 *
 * @example
 * canonicalJson(canonicalOutput(await repo.list(ctx), { spec, keep: () => true, order: 'default' }));
 */
export function canonicalOutput(value: unknown, options: CanonicalOptions): unknown {
  if (value instanceof ListOutput) return { items: canonicalList(value.items, options) };
  return canon(value, options);
}

function canonicalList(items: readonly unknown[], options: CanonicalOptions): unknown[] {
  const kept = items.filter((i) => !isEntityLike(options.spec, i) || options.keep(i));
  const out = kept.map((i) => canon(i, options));
  return options.order ? normalizeTies(options.spec, options.order, out) : out;
}

function canon(value: unknown, options: CanonicalOptions): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return canonicalList(value, options);
  if (value instanceof Date) return isoDate(value);
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64') };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $float: String(value) };
  if (typeof value !== 'object') return value;
  if (isEntityLike(options.spec, value)) return options.keep(value) ? canonicalEntity(options.spec, value) : null;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.items) && 'next' in record) {
    return { items: canonicalList(record.items, options), hasNext: record.next !== null && record.next !== undefined };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = canon(v, options);
  return out;
}

/**
 * Within each run of consecutive canonical entities that are equal on the order's declared fields,
 * sorts by id. MongoDB breaks such ties by `_id`, PostgreSQL by `id`: both are correct, and this
 * makes them comparable, while any difference in the declared order itself still shows.
 *
 * @example
 * normalizeTies(loginAttemptSpec, 'default', canonicalItems); // equal attemptedAt: ascending id
 */
export function normalizeTies(spec: EntitySpec, orderName: string, items: readonly unknown[]): unknown[] {
  const order = spec.orders[orderName];
  if (!order) throw new Error(`${spec.module}.${spec.name} has no list order ${JSON.stringify(orderName)}`);
  const key = (item: unknown) =>
    item && typeof item === 'object' ? canonicalJson(order.fields.map(({ field }) => (item as Record<string, unknown>)[field] ?? null)) : canonicalJson(item ?? null);
  const out: unknown[] = [];
  let group: unknown[] = [];
  let groupKey: string | null = null;
  const flush = () => {
    group.sort((a, b) => compareIds(a, b));
    out.push(...group);
    group = [];
  };
  for (const item of items) {
    const k = key(item);
    if (k !== groupKey) {
      flush();
      groupKey = k;
    }
    group.push(item);
  }
  flush();
  return out;
}

function idOf(item: unknown): string {
  return item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? ((item as { id: string }).id) : '';
}

function compareIds(a: unknown, b: unknown): number {
  const x = idOf(a);
  const y = idOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The sort key of an entity in a declared order, as canonical text (ties and list caps). */
export function orderKey(spec: EntitySpec, orderName: string, entity: Record<string, unknown>): string {
  const canonical = canonicalEntity(spec, entity);
  return canonicalJson(spec.orders[orderName]!.fields.map(({ field }) => canonical[field] ?? null));
}
