/**
 * Exact numeric values across BSON's number types (int32, int64, double, decimal128), so that the memory
 * store compares `Long('9007199254740993')`, `Decimal128('9007199254740992.5')` and doubles exactly, as
 * the server does, instead of through lossy JS doubles.
 *
 * @example
 * compareNumbers(Long.fromString('9007199254740993'), 9007199254740992) > 0; // true (as doubles they are equal)
 */
import type { Decimal128, Long } from 'bson';

type Tagged = { _bsontype?: string };

function bsonTag(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? (v as Tagged)._bsontype : undefined;
}

/** True for every numeric representation: JS number, bigint, Int32, Double, Long, Decimal128. */
export function isNumeric(v: unknown): boolean {
  if (typeof v === 'number' || typeof v === 'bigint') return true;
  const t = bsonTag(v);
  return t === 'Int32' || t === 'Double' || t === 'Long' || t === 'Decimal128';
}

/** An exact numeric value: `coeff * 10^exp`, or NaN / an infinity. */
export type Exact = { kind: 'nan' } | { kind: 'inf'; sign: 1 | -1 } | { kind: 'fin'; coeff: bigint; exp: number };

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d*))?(?:E([+-]?\d+))?$/i;

function stripZeros(coeff: bigint, exp: number): Exact {
  if (coeff === 0n) return { kind: 'fin', coeff: 0n, exp: 0 };
  while (coeff % 10n === 0n) {
    coeff /= 10n;
    exp += 1;
  }
  return { kind: 'fin', coeff, exp };
}

function exactFromDouble(x: number): Exact {
  if (Number.isNaN(x)) return { kind: 'nan' };
  if (!Number.isFinite(x)) return { kind: 'inf', sign: x > 0 ? 1 : -1 };
  if (Number.isInteger(x)) return stripZeros(BigInt(x), 0);
  // A non-integral double is mant * 2^e with e < 0, which is exactly mant * 5^-e / 10^-e.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) {
    e = -1074;
  } else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  const coeff = mant * 5n ** BigInt(-e);
  return stripZeros(hi >>> 31 ? -coeff : coeff, e);
}

function exactFromDecimal(d: Decimal128): Exact {
  const s = d.toString();
  if (s === 'NaN' || s === '-NaN') return { kind: 'nan' };
  if (s === 'Infinity') return { kind: 'inf', sign: 1 };
  if (s === '-Infinity') return { kind: 'inf', sign: -1 };
  const m = DECIMAL_RE.exec(s);
  if (!m) throw new Error(`memory: store cannot read Decimal128 ${s}`);
  const frac = m[3] ?? '';
  const coeff = BigInt(m[2] + frac) * (m[1] === '-' ? -1n : 1n);
  return stripZeros(coeff, Number(m[4] ?? 0) - frac.length);
}

/** The exact value of any numeric representation. */
export function toExact(v: unknown): Exact {
  if (typeof v === 'number') return exactFromDouble(v);
  if (typeof v === 'bigint') return stripZeros(v, 0);
  switch (bsonTag(v)) {
    case 'Int32':
    case 'Double':
      return exactFromDouble((v as { value: number }).value);
    case 'Long':
      return stripZeros((v as Long).toBigInt(), 0);
    case 'Decimal128':
      return exactFromDecimal(v as Decimal128);
    default:
      throw new Error('memory: store internal error: not a number');
  }
}

function compareExact(a: Exact, b: Exact): number {
  // NaN is the smallest number and equals itself, as in MongoDB.
  if (a.kind === 'nan' || b.kind === 'nan') return a.kind === b.kind ? 0 : a.kind === 'nan' ? -1 : 1;
  if (a.kind === 'inf' || b.kind === 'inf') {
    // An infinity is beyond every finite value; two infinities compare by sign.
    const x = a.kind === 'inf' ? a.sign * 2 : 0;
    const y = b.kind === 'inf' ? b.sign * 2 : 0;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const m = Math.min(a.exp, b.exp);
  const x = a.coeff * 10n ** BigInt(a.exp - m);
  const y = b.coeff * 10n ** BigInt(b.exp - m);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A JS double for fast paths, or undefined when the value is a Long/Decimal128/bigint. */
function fastDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const t = bsonTag(v);
  return t === 'Int32' || t === 'Double' ? (v as { value: number }).value : undefined;
}

function fastBig(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  return bsonTag(v) === 'Long' ? (v as Long).toBigInt() : undefined;
}

/** Compares two numeric values exactly. */
export function compareNumbers(a: unknown, b: unknown): number {
  const da = fastDouble(a);
  const db = fastDouble(b);
  if (da !== undefined && db !== undefined) {
    if (Number.isNaN(da) || Number.isNaN(db)) return Number.isNaN(da) === Number.isNaN(db) ? 0 : Number.isNaN(da) ? -1 : 1;
    return da < db ? -1 : da > db ? 1 : 0;
  }
  // JS compares bigint with number mathematically exactly.
  const ba = da ?? fastBig(a);
  const bb = db ?? fastBig(b);
  if (ba !== undefined && bb !== undefined && !(typeof ba === 'number' && Number.isNaN(ba)) && !(typeof bb === 'number' && Number.isNaN(bb))) {
    return ba < bb ? -1 : ba > bb ? 1 : 0;
  }
  return compareExact(toExact(a), toExact(b));
}
