/**
 * The errors the memory store throws. Server-side failures are real `MongoServerError`s from the driver
 * package (same class, `code`, `codeName`, `keyPattern`/`keyValue` as a server reply would produce), so
 * code written against the driver handles them unchanged; client-side argument errors are the driver's
 * `MongoInvalidArgumentError`. Anything the store does not implement throws `MemoryStoreUnsupportedError`
 * instead of being silently ignored.
 */
import { MongoInvalidArgumentError, MongoServerError } from 'mongodb';
import { DUPLICATE_KEY_CODE } from '../mongo-types.js';

/** Thrown for an operator, option or feature the memory store does not implement. */
export class MemoryStoreUnsupportedError extends Error {
  constructor(what: string) {
    super(`memory: store does not support ${what}`);
    this.name = 'MemoryStoreUnsupportedError';
  }
}

/** Thrown when the persistence folder cannot be used (not writable, corrupt file, ...). */
export class MemoryStoreStorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`memory: store ${message}`, options);
    this.name = 'MemoryStoreStorageError';
  }
}

export function unsupported(what: string): MemoryStoreUnsupportedError {
  return new MemoryStoreUnsupportedError(what);
}

export function invalidArgument(message: string): MongoInvalidArgumentError {
  return new MongoInvalidArgumentError(message);
}

function serverError(code: number, codeName: string, errmsg: string, extra: Record<string, unknown> = {}): MongoServerError {
  return new MongoServerError({ ok: 0, errmsg, code, codeName, ...extra });
}

/** Renders a value roughly the way the server prints it in error messages. */
export function formatValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(', ')} ]`;
  const tag = (v as { _bsontype?: string })._bsontype;
  switch (tag) {
    case 'ObjectId':
      return `ObjectId('${(v as { toHexString(): string }).toHexString()}')`;
    case 'Int32':
    case 'Double':
      return String((v as { value: number }).value);
    case 'Long':
      return String(v);
    case 'Decimal128':
      return `Decimal128('${String(v)}')`;
    case 'Binary':
      return `BinData(${(v as { sub_type: number }).sub_type}, ${(v as { toString(enc: string): string }).toString('hex')})`;
    case undefined:
      break;
    default:
      return String(v);
  }
  if (v instanceof RegExp) return String(v);
  const entries = Object.entries(v as object).map(([k, x]) => `${k}: ${formatValue(x)}`);
  return entries.length ? `{ ${entries.join(', ')} }` : '{}';
}

/** E11000, with the server's message shape and the driver's `keyPattern` / `keyValue` fields. */
export function duplicateKey(
  namespace: string,
  indexName: string,
  keyPattern: Record<string, unknown>,
  keyValue: Record<string, unknown>,
): MongoServerError {
  return serverError(
    DUPLICATE_KEY_CODE,
    'DuplicateKey',
    `E11000 duplicate key error collection: ${namespace} index: ${indexName} dup key: ${formatValue(keyValue)}`,
    { keyPattern, keyValue },
  );
}

export function documentTooLarge(kind: 'insert' | 'update' | 'replace', size: number): MongoServerError {
  const limit = 16 * 1024 * 1024;
  return kind === 'insert'
    ? serverError(10334, 'BSONObjectTooLarge', `object to insert too large. size in bytes: ${size}, max size: ${limit} (the 16 MiB BSON document size limit)`)
    : serverError(17419, 'BSONObjectTooLarge', `Resulting document after update is larger than ${limit} (the 16 MiB BSON document size limit); size in bytes: ${size}`);
}

export function immutableId(newId: unknown): MongoServerError {
  return serverError(66, 'ImmutableField', `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(newId)}`);
}

export function updateConflict(path: string, at: string): MongoServerError {
  return serverError(40, 'ConflictingUpdateOperators', `Updating the path '${path}' would create a conflict at '${at}'`);
}

export function typeMismatch(message: string): MongoServerError {
  return serverError(14, 'TypeMismatch', message);
}

export function badValue(message: string): MongoServerError {
  return serverError(2, 'BadValue', message);
}

export function pathNotViable(message: string): MongoServerError {
  return serverError(28, 'PathNotViable', message);
}

export function failedToParse(message: string): MongoServerError {
  return serverError(9, 'FailedToParse', message);
}

export function overflow(message: string): MongoServerError {
  return serverError(2, 'BadValue', message);
}

export function indexConflict(code: 85 | 86, message: string): MongoServerError {
  return serverError(code, code === 85 ? 'IndexOptionsConflict' : 'IndexKeySpecsConflict', message);
}

export function notUnique(message: string): MongoServerError {
  return serverError(54, 'NotSingleValueField', message);
}
