import { Binary, ObjectId, UUID, Long } from 'bson';
import { ConversionError } from '../interfaces/errors.js';

/**
 * Canonical, typed text of a legacy `_id` (docs/design.md §6): `oid:<24 hex>`, `str:<string>`,
 * `uuid:<uuid>` (Binary subtype 4), `int:<n>`. Any other `_id` type cannot be converted.
 */
export function legacyIdOf(id: unknown): string {
  // A type-exact read keeps numbers wrapped (Int32, Double): the same ids as the driver's promoted view.
  const bsontype = typeof id === 'object' && id !== null ? (id as { _bsontype?: string })._bsontype : undefined;
  if (bsontype === 'Int32' || bsontype === 'Double') id = (id as { value: number }).value;
  if (id instanceof ObjectId) return `oid:${id.toHexString()}`;
  if (typeof id === 'string') {
    if (id.includes('\u0000')) throw new ConversionError('_id', 'string _id contains U+0000');
    return `str:${id}`;
  }
  if (id instanceof Binary && id.sub_type === Binary.SUBTYPE_UUID && id.length() === 16) {
    return `uuid:${new UUID(id.buffer).toHexString(true)}`;
  }
  if (typeof id === 'number' && Number.isSafeInteger(id)) return `int:${id}`;
  if (id instanceof Long) return `int:${id.toString()}`;
  const kind = id === null || id === undefined ? String(id) : (id as object).constructor?.name ?? typeof id;
  throw new ConversionError('_id', `unsupported _id type ${kind}`);
}

/** The BSON `_id` a canonical legacy id stands for (inverse of {@link legacyIdOf}). */
export function mongoIdOf(legacyId: string): unknown {
  const sep = legacyId.indexOf(':');
  const kind = legacyId.slice(0, sep);
  const value = legacyId.slice(sep + 1);
  switch (kind) {
    case 'oid':
      return new ObjectId(value);
    case 'str':
      return value;
    case 'uuid':
      return new UUID(value);
    case 'int': {
      const n = BigInt(value);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : Long.fromBigInt(n);
    }
    default:
      throw new Error(`not a legacy id: ${legacyId}`);
  }
}

/** `_id` for an entity created by our code: the domain UUID as BSON Binary subtype 4. */
export function mongoIdForUuid(id: string): UUID {
  return new UUID(id);
}
