import { PersistenceError } from '../interfaces/errors.js';

/**
 * Opaque keyset cursors: the sort-key values of the last row of a page, plus the backend's
 * tie-breaker, typed so that Dates and bigints survive the round trip. A cursor names its order
 * and backend, so one from another order or store is refused rather than misread.
 */
export interface CursorState {
  readonly backend: 'pg' | 'mongo';
  readonly order: string;
  readonly keys: readonly unknown[];
  readonly tie: string;
}

function encodeValue(v: unknown): unknown {
  if (v instanceof Date) return { d: v.getTime() };
  if (typeof v === 'bigint') return { b: v.toString() };
  return v === undefined ? null : v;
}

function decodeValue(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { d?: number; b?: string };
    if (typeof o.d === 'number') return new Date(o.d);
    if (typeof o.b === 'string') return BigInt(o.b);
  }
  return v;
}

export function encodeCursor(state: CursorState): string {
  const payload = { s: state.backend, o: state.order, k: state.keys.map(encodeValue), t: state.tie };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(cursor: string, backend: CursorState['backend'], order: string): CursorState {
  let parsed: { s?: string; o?: string; k?: unknown[]; t?: string };
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new PersistenceError('invalid page cursor');
  }
  if (parsed.s !== backend || parsed.o !== order || !Array.isArray(parsed.k) || typeof parsed.t !== 'string') {
    throw new PersistenceError(`page cursor does not belong to this list (order ${order})`);
  }
  return { backend, order, keys: parsed.k.map(decodeValue), tie: parsed.t };
}
