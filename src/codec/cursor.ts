import type { FieldType } from '../interfaces/entity-spec.js';
import { ValidationError } from '../interfaces/errors.js';
import { isUuid } from '../interfaces/tenant-context.js';
import type { ResolvedField } from './fields.js';
import { valueProblem } from './validate.js';

/**
 * Opaque keyset cursors: the sort-key values of the last row of a page, plus the backend's
 * tie-breaker, typed so that Dates and bigints survive the round trip. A cursor names its order
 * and backend, so one from another order or store is refused rather than misread.
 *
 * A cursor comes back from the caller, so it is untrusted input: {@link decodeCursor} refuses
 * anything that is not a cursor this code could have made, with a ValidationError naming `after`.
 */
export interface CursorState {
  readonly backend: 'pg' | 'mongo';
  readonly order: string;
  readonly keys: readonly unknown[];
  readonly tie: string;
}

/** What a list expects inside its cursors: the key types in order, and the tie-breaker's kind. */
export interface CursorShape {
  /** Named in errors (`Authority.user`). */
  readonly entity: string;
  readonly keys: readonly { readonly type: FieldType; readonly enum?: readonly string[] | null }[];
  /** `uuid`: a row id; `legacy-id`: MongoDB's canonical `_id` text (`oid:...`, `str:...`); `text`: any string. */
  readonly tie: 'uuid' | 'legacy-id' | 'text';
}

const LEGACY_ID_RE = /^(oid:[0-9a-f]{24}|str:[\s\S]*|uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|int:-?\d{1,19})$/;

function encodeValue(v: unknown): unknown {
  if (v instanceof Date) return { d: v.getTime() };
  if (typeof v === 'bigint') return { b: v.toString() };
  return v === undefined ? null : v;
}

/** Undoes {@link encodeValue}; returns `undefined` for a value it never writes. */
function decodeValue(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v as object);
    const o = v as { d?: unknown; b?: unknown };
    if (keys.length === 1 && typeof o.d === 'number' && Number.isSafeInteger(o.d)) return new Date(o.d);
    if (keys.length === 1 && typeof o.b === 'string' && /^-?\d{1,19}$/.test(o.b)) return BigInt(o.b);
  }
  return undefined;
}

export function encodeCursor(state: CursorState): string {
  const payload = { s: state.backend, o: state.order, k: state.keys.map(encodeValue), t: state.tie };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * Reads a cursor made by {@link encodeCursor} for `backend` and `order`, checking every key
 * against `shape`: a forged or damaged cursor is a ValidationError, never a raw parser or
 * database error, and never a value of another type reaching a query.
 */
export function decodeCursor(cursor: unknown, backend: CursorState['backend'], order: string, shape: CursorShape): CursorState {
  const refuse = (reason: string): never => {
    throw new ValidationError(shape.entity, 'after', reason);
  };
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) refuse('is not a page cursor (expected the `next` of a previous page)');
  let parsed: { s?: unknown; o?: unknown; k?: unknown; t?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(cursor as string, 'base64url').toString('utf8'));
  } catch {
    return refuse('is not a page cursor (expected the `next` of a previous page)');
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.s !== backend || parsed.o !== order) {
    refuse(`does not belong to this list (order ${order})`);
  }
  if (!Array.isArray(parsed.k) || parsed.k.length !== shape.keys.length) refuse(`does not hold the ${shape.keys.length} keys of order ${order}`);
  const keys = (parsed.k as unknown[]).map((raw, i) => {
    const value = decodeValue(raw);
    const expected = shape.keys[i]!;
    const field = { name: `key ${i}`, type: expected.type, nullable: false, allowNonFinite: false, enum: expected.enum ?? null } as unknown as ResolvedField;
    const problem = value === undefined ? 'is not a cursor value' : valueProblem(field, value);
    if (problem) refuse(`key ${i} of order ${order} ${problem}`);
    return value;
  });
  const tie = parsed.t;
  const tieOk =
    shape.tie === 'uuid' ? isUuid(tie) : typeof tie === 'string' && !tie.includes('\u0000') && (shape.tie === 'text' || LEGACY_ID_RE.test(tie));
  if (!tieOk) refuse(`has a tie-breaker that is not a ${shape.tie === 'uuid' ? 'UUID' : shape.tie === 'text' ? 'string' : 'legacy id'}`);
  return { backend, order, keys, tie: tie as string };
}
