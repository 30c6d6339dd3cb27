import { canonicalJson } from './canonical.js';
import { typedToJson } from './typed-json.js';

/**
 * The overflow: the fields of a legacy document that its declaration does not name. They are kept,
 * never dropped: in MongoDB they stay in the document; in PostgreSQL they live in the jsonb column
 * {@link LEGACY_EXTRA_COLUMN} of every declared table (typed JSON encoding, keyed by the legacy field
 * name); the pending log, parity and ConvertOnRead carry them.
 *
 * A domain entity exposes them as `entity.legacyExtra`: a frozen record of domain values (typed JSON,
 * see typed-json.ts), non-enumerable so that spreading, comparing or serialising an entity sees only
 * its declared fields. Every entity a repository returns has it (`{}` when there is nothing). Services
 * cannot write it: an insert carries none, an update keeps what is stored.
 *
 * @example
 * const user = await users.get(ctx, id);
 * user.legacyExtra; // { legacyFlag: true }   (read-only)
 */
export const LEGACY_EXTRA_COLUMN = 'legacy_extra';
export const LEGACY_EXTRA = 'legacyExtra';

export type LegacyExtra = Readonly<Record<string, unknown>>;

const EMPTY: LegacyExtra = Object.freeze({});

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return; // bson values stay as built
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/** The overflow of an entity (`{}` when it has none). */
export function legacyExtraOf(entity: object | null | undefined): LegacyExtra {
  if (!entity) return EMPTY;
  const extra = (entity as { legacyExtra?: unknown }).legacyExtra;
  return extra && typeof extra === 'object' ? (extra as LegacyExtra) : EMPTY;
}

/** Attaches the overflow to an entity (read-only, non-enumerable) and returns the entity. */
export function withLegacyExtra<T extends object>(entity: T, extra: Readonly<Record<string, unknown>> | null | undefined): T {
  let value = EMPTY;
  if (extra && Object.keys(extra).length > 0) {
    value = Object.isFrozen(extra) ? extra : { ...extra };
    deepFreeze(value);
  }
  Object.defineProperty(entity, LEGACY_EXTRA, { value, enumerable: false, writable: false, configurable: true });
  return entity;
}

export function hasLegacyExtra(entity: object | null | undefined): boolean {
  return Object.keys(legacyExtraOf(entity)).length > 0;
}

/** The overflow in typed JSON encoding (what the jsonb column and the pending log hold). */
export function legacyExtraJson(entity: object | null | undefined): Record<string, unknown> {
  return typedToJson(legacyExtraOf(entity)) as Record<string, unknown>;
}

/** Canonical text of the overflow, for comparisons. */
export function legacyExtraText(entity: object | null | undefined): string {
  return canonicalJson(legacyExtraJson(entity));
}
