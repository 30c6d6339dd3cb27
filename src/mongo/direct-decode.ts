import { isUtf8 } from 'node:buffer';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldsOf, isTenantScoped, type ResolvedField } from '../codec/fields.js';
import { idFromLegacyId } from '../codec/ids.js';
import { withLegacyExtra } from '../codec/legacy-extra.js';
import { uuidTextKind } from '../codec/uuid-text.js';
import type { TenantRegistry } from '../codec/tenant-registry.js';
import type { DecodedDocument } from './document-codec.js';
import { elementValueSize, idIsFirst } from './bson-elements.js';

/**
 * `deserialize` + `legacyIdOf` + `decodeDocument` in one pass over a document's BSON, for documents in
 * the plain shape: an ObjectId or string `_id`, every declared field at most once as its usual BSON
 * type (string, boolean, Date, Int32, double, null), no undeclared field. It builds no intermediate
 * document and no BSON wrapper objects, which is most of what conversion spends per document.
 *
 * It only ever answers for documents the general path accepts, with the same entity: for anything else
 * (another BSON type, an overflow field, a duplicate key, a value the codec would refuse or alter,
 * malformed bytes) it returns null and the caller takes the general path, which decides, quarantines
 * and explains. So it can be wrong only by being slower. `test/mongo/direct-decode.test.ts` checks it
 * against the general path on every declaration, hostile documents included.
 *
 * @example
 * const decoded = decodeDocumentBytes(userSpec, rawBson, tenants) ?? decodeDocument(userSpec, deserialize(rawBson));
 */

const STRING = 0x02;
const OBJECT_ID = 0x07;
const BOOLEAN = 0x08;
const DATE = 0x09;
const NULL = 0x0a;
const INT32 = 0x10;
const DOUBLE = 0x01;

/** PostgreSQL timestamptz starts at 4714-11-24 00:00 UTC BC; a JS Date ends at 8.64e15 ms. */
const MIN_TIMESTAMP_MS = Date.UTC(-4713, 10, 24);
const MAX_DATE_MS = 8.64e15;

interface Slot {
  readonly field: ResolvedField;
  readonly enumSet: ReadonlySet<string> | null;
  /** The tenant of a tenant-scoped entity: any string here, resolved by the tenant registry at the end. */
  readonly tenant: boolean;
}

interface DirectPlan {
  /** By key length in bytes: the stored fields' UTF-8 keys of that length and their slots (keys are matched byte for byte, never decoded). */
  readonly keysByLength: readonly (readonly { readonly bytes: Buffer; readonly slot: number }[] | undefined)[];
  readonly slots: readonly Slot[];
  /** The tenant field's slot, or -1. */
  readonly tenantSlot: number;
  /** The entity's fields in declaration order (validateEntity's order), as slot numbers; -1 for `id`. */
  readonly order: readonly { readonly name: string; readonly slot: number }[];
}

const plans = new WeakMap<EntitySpec, DirectPlan | null>();

/** Null when the declaration derives fields (the general path computes them). */
function planOf(spec: EntitySpec): DirectPlan | null {
  let plan = plans.get(spec);
  if (plan === undefined) {
    const fields = fieldsOf(spec);
    if (spec.derive || fields.some((f) => f.generated)) {
      plan = null;
    } else {
      const stored = fields.filter((f) => f.name !== 'id');
      const keysByLength: { bytes: Buffer; slot: number }[][] = [];
      stored.forEach((f, slot) => {
        const bytes = Buffer.from(f.mongo, 'utf8');
        (keysByLength[bytes.length] ??= []).push({ bytes, slot });
      });
      const tenantSlot = isTenantScoped(spec) ? stored.findIndex((f) => f.name === 'tenantId') : -1;
      plan = {
        keysByLength,
        slots: stored.map((field, i) => ({ field, enumSet: field.enum ? new Set(field.enum) : null, tenant: i === tenantSlot })),
        tenantSlot,
        order: fields.map((f) => ({ name: f.name, slot: f.name === 'id' ? -1 : stored.indexOf(f) })),
      };
    }
    plans.set(spec, plan);
  }
  return plan;
}

/** The slot whose key is the bytes [start, end), or -1 (`_id` is -2). */
function slotOfKey(plan: DirectPlan, b: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len === 3 && b[start] === 0x5f && b[start + 1] === 0x69 && b[start + 2] === 0x64) return -2;
  const candidates = plan.keysByLength[len];
  if (candidates === undefined) return -1;
  for (const { bytes, slot } of candidates) {
    let k = 0;
    while (k < len && bytes[k] === b[start + k]) k++;
    if (k === len) return slot;
  }
  return -1;
}

const int32At = (b: Buffer, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/** The string of a BSON string element's bytes [start, end), when it is valid UTF-8 without U+0000 (as the codec requires). */
function stringAt(b: Buffer, start: number, end: number): string | null {
  let ascii = true;
  for (let k = start; k < end; k++) {
    const c = b[k]!;
    if (c === 0) return null;
    if (c >= 0x80) ascii = false;
  }
  if (ascii) return b.toString('latin1', start, end);
  return isUtf8(b.subarray(start, end)) ? b.toString('utf8', start, end) : null;
}

/** Sentinel of "this slot was not in the document". */
const ABSENT = Symbol('absent');
/** Thrown inside the reader to leave for the general path (never escapes decodeDocumentBytes). */
const GENERAL = Symbol('general path');

/** One element's value for a slot (the type-exact rules of decodeDocument + validateEntity), or GENERAL. */
function slotValue(slot: Slot, type: number, b: Buffer, at: number, end: number): unknown {
  const { field } = slot;
  if (type === NULL) return field.nullable ? null : GENERAL;
  switch (field.type) {
    case 'text':
    case 'uuid': {
      if (type !== STRING) return GENERAL;
      const s = stringAt(b, at + 4, end - 1);
      if (s === null) return GENERAL;
      if (slot.enumSet && !slot.enumSet.has(s)) return GENERAL;
      // A tenant is resolved by the registry after the whole document reads well (see below).
      return field.type === 'uuid' && !slot.tenant && uuidTextKind(s) !== 1 ? GENERAL : s;
    }
    case 'bool':
      return type === BOOLEAN && (b[at] === 0 || b[at] === 1) ? b[at] === 1 : GENERAL;
    case 'timestamp': {
      if (type !== DATE) return GENERAL;
      // As bson's Long#toNumber: high * 2^32 + unsigned low.
      const ms = int32At(b, at + 4) * 4294967296 + (int32At(b, at) >>> 0);
      return ms >= MIN_TIMESTAMP_MS && ms <= MAX_DATE_MS ? new Date(ms) : GENERAL;
    }
    case 'int':
      return type === INT32 ? int32At(b, at) : GENERAL;
    case 'float': {
      if (type === INT32) return int32At(b, at);
      if (type !== DOUBLE) return GENERAL;
      const v = b.readDoubleLE(at);
      return Number.isFinite(v) || field.allowNonFinite ? v : GENERAL;
    }
    default:
      return GENERAL;
  }
}

/** `oid:<hex>` or `str:<s>` of an `_id` element's value, as legacyIdOf gives it, or null (another type, or a string the codec refuses). */
function idText(type: number, b: Buffer, at: number, size: number): string | null {
  if (type === OBJECT_ID) return `oid:${b.toString('hex', at, at + 12)}`;
  if (type !== STRING) return null;
  const s = stringAt(b, at + 4, at + size - 1);
  return s === null ? null : `str:${s}`;
}

/**
 * Walks the top-level elements of a document's BSON, checking its structure as bson does:
 * `visit(type, keyStart, keyEnd, valueAt, valueSize)` for each, in order; false from it stops the walk.
 * True when the whole document was walked; false when it stopped, or the bytes are malformed (the
 * values themselves are the visitor's to read and check).
 */
function walkElements(b: Buffer, visit: (type: number, keyStart: number, keyEnd: number, at: number, size: number) => boolean): boolean {
  const n = b.length;
  if (n < 5 || int32At(b, 0) !== n || b[n - 1] !== 0) return false;
  let i = 4;
  for (;;) {
    if (i >= n) return false;
    const type = b[i++]!;
    if (type === 0) break;
    const keyStart = i;
    while (i < n && b[i] !== 0) i++;
    if (i >= n) return false;
    const keyEnd = i++;
    const size = elementValueSize(b, type, i, n);
    if (size < 0 || i + size > n || !visit(type, keyStart, keyEnd, i, size)) return false;
    i += size;
  }
  return i === n;
}

const isIdKey = (b: Buffer, start: number, end: number) => end - start === 3 && b[start] === 0x5f && b[start + 1] === 0x69 && b[start + 2] === 0x64;

/**
 * The legacy id conversion keys a document by (`legacyIdOf(SourceDocument.id())`), read from its
 * bytes without decoding the rest, or null: decode the document to know. It answers when the `_id`
 * is stored first (as a server stores it), once, as an ObjectId or a string, and no top-level key
 * starts with `$`. Then the key is the same whether the rest of the document reads or not
 * (`SourceDocument.id()` reads that first element on its own when the rest cannot be read). What a
 * sharded verification needs to tell whether a document is in its range.
 *
 * @example
 * legacyIdOfBytes(bytes); // 'oid:65c0...' | null
 */
export function legacyIdOfBytes(b: Buffer): string | null {
  if (!idIsFirst(b)) return null;
  let legacyId: string | null = null;
  const whole = walkElements(b, (type, keyStart, keyEnd, at, size) => {
    // A top-level `$ref`/`$id` makes bson read the document as a DBRef, `_id` and all: the general path decides.
    if (!isIdKey(b, keyStart, keyEnd)) return b[keyStart] !== 0x24;
    if (legacyId !== null) return false; // a duplicate key: bson keeps the last, the general path decides
    legacyId = idText(type, b, at, size);
    return legacyId !== null;
  });
  return whole ? legacyId : null;
}

/**
 * The decoded document, as `decodeDocument(spec, deserialize(bytes, driver's type-exact read))` would
 * return it, or null: take the general path (which may accept, quarantine or refuse the document).
 *
 * @example
 * const decoded = decodeDocumentBytes(userSpec, bytes, tenants); // { entity, legacyId } | null
 */
export function decodeDocumentBytes(spec: EntitySpec, b: Buffer, tenants?: TenantRegistry): DecodedDocument | null {
  const plan = planOf(spec);
  if (!plan) return null;
  const values: unknown[] = new Array(plan.slots.length).fill(ABSENT);
  let legacyId: string | null = null;
  const whole = walkElements(b, (type, keyStart, keyEnd, at, size) => {
    const slot = slotOfKey(plan, b, keyStart, keyEnd);
    if (slot === -2) {
      if (legacyId !== null) return false; // a duplicate key: bson keeps the last, the general path decides
      legacyId = idText(type, b, at, size);
      return legacyId !== null;
    }
    if (slot < 0 || values[slot] !== ABSENT) return false; // overflow or duplicate
    const value = slotValue(plan.slots[slot]!, type, b, at, at + size);
    if (value === GENERAL) return false;
    values[slot] = value;
    return true;
  });
  if (!whole || legacyId === null) return null;
  for (let s = 0; s < values.length; s++) {
    if (values[s] === ABSENT) {
      if (!plan.slots[s]!.field.nullable) return null;
      values[s] = null;
    }
  }
  if (plan.tenantSlot >= 0 && typeof values[plan.tenantSlot] === 'string') {
    if (!tenants) return null;
    let tenant: string;
    try {
      tenant = tenants.uuidOf(values[plan.tenantSlot] as string);
    } catch {
      return null; // the registry refuses the key: the general path says why
    }
    if (uuidTextKind(tenant) !== 1) return null;
    values[plan.tenantSlot] = tenant;
  }
  const entity: Record<string, unknown> = {};
  for (const { name, slot } of plan.order) entity[name] = slot < 0 ? idFromLegacyId(spec.collection, legacyId) : values[slot];
  return { entity: withLegacyExtra(entity, null), legacyId };
}
