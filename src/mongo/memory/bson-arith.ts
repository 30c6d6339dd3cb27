/**
 * `$inc` / `$mul` arithmetic with the server's numeric type rules: the result has the "widest" operand
 * type (int32 < int64 < double < decimal128); int32 overflow widens to int64; int64 overflow is an error.
 *
 * @example
 * addNumbers(new Int32(2147483647), new Int32(1)); // Long(2147483648), as the server stores it
 */
import { Decimal128, Double, Int32, Long } from 'bson';
import { isNumeric, toExact, type Exact } from './bson-numbers.js';

type NumKind = 0 | 1 | 2 | 3; // int32, int64, double, decimal128
const INT32 = 0;
const INT64 = 1;
const DOUBLE = 2;
const DECIMAL = 3;

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function kindOf(v: unknown): NumKind {
  if (typeof v === 'number') return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? INT32 : DOUBLE;
  if (typeof v === 'bigint') return INT64;
  switch ((v as { _bsontype?: string })._bsontype) {
    case 'Int32':
      return INT32;
    case 'Long':
      return INT64;
    case 'Double':
      return DOUBLE;
    default:
      return DECIMAL;
  }
}

function asDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const t = (v as { _bsontype?: string })._bsontype;
  if (t === 'Int32' || t === 'Double') return (v as { value: number }).value;
  if (t === 'Long') return (v as Long).toNumber();
  return Number((v as Decimal128).toString());
}

function asBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if ((v as { _bsontype?: string })._bsontype === 'Long') return (v as Long).toBigInt();
  return BigInt(asDouble(v));
}

/** Doubles enter decimal arithmetic by their shortest decimal representation. */
function asExactDecimal(v: unknown): Exact {
  return kindOf(v) === DOUBLE ? toExact(Decimal128.fromStringWithRounding(String(asDouble(v)))) : toExact(v);
}

function decimalFromExact(e: Exact): Decimal128 {
  if (e.kind === 'nan') return Decimal128.fromString('NaN');
  if (e.kind === 'inf') return Decimal128.fromString(e.sign > 0 ? 'Infinity' : '-Infinity');
  return Decimal128.fromStringWithRounding(`${e.coeff}E${e.exp}`);
}

function integerResult(n: bigint, kind: NumKind, describe: () => string): Int32 | Long {
  if (kind === INT32 && n >= INT32_MIN && n <= INT32_MAX) return new Int32(Number(n));
  if (n < INT64_MIN || n > INT64_MAX) throw new RangeError(`integer overflow: ${describe()}`);
  return Long.fromBigInt(n);
}

function combine(
  a: unknown,
  b: unknown,
  name: string,
  ints: (x: bigint, y: bigint) => bigint,
  doubles: (x: number, y: number) => number,
  decimals: (x: Exact, y: Exact) => Exact,
): unknown {
  if (!isNumeric(a) || !isNumeric(b)) throw new TypeError(`${name} needs numbers`);
  const kind = Math.max(kindOf(a), kindOf(b)) as NumKind;
  if (kind === DECIMAL) return decimalFromExact(decimals(asExactDecimal(a), asExactDecimal(b)));
  if (kind === DOUBLE) return new Double(doubles(asDouble(a), asDouble(b)));
  return integerResult(ints(asBigInt(a), asBigInt(b)), kind, () => `${String(a)} ${name} ${String(b)}`);
}

function finite(e: Exact): e is { kind: 'fin'; coeff: bigint; exp: number } {
  return e.kind === 'fin';
}

function addExact(x: Exact, y: Exact): Exact {
  if (!finite(x) || !finite(y)) return decimalNonFinite(x, y, 'add');
  const m = Math.min(x.exp, y.exp);
  return { kind: 'fin', coeff: x.coeff * 10n ** BigInt(x.exp - m) + y.coeff * 10n ** BigInt(y.exp - m), exp: m };
}

function mulExact(x: Exact, y: Exact): Exact {
  if (!finite(x) || !finite(y)) return decimalNonFinite(x, y, 'mul');
  return { kind: 'fin', coeff: x.coeff * y.coeff, exp: x.exp + y.exp };
}

/** Non-finite decimal arithmetic through doubles, which share IEEE semantics for NaN/Infinity. */
function decimalNonFinite(x: Exact, y: Exact, op: 'add' | 'mul'): Exact {
  const d = (e: Exact): number => (e.kind === 'nan' ? NaN : e.kind === 'inf' ? e.sign * Infinity : Number(e.coeff) * 10 ** e.exp);
  const r = op === 'add' ? d(x) + d(y) : d(x) * d(y);
  return Number.isNaN(r) ? { kind: 'nan' } : { kind: 'inf', sign: r > 0 ? 1 : -1 };
}

/** `a + b` with the server's result type. Throws RangeError on int64 overflow. */
export function addNumbers(a: unknown, b: unknown): unknown {
  return combine(a, b, '+', (x, y) => x + y, (x, y) => x + y, addExact);
}

/** `a * b` with the server's result type. Throws RangeError on int64 overflow. */
export function multiplyNumbers(a: unknown, b: unknown): unknown {
  return combine(a, b, '*', (x, y) => x * y, (x, y) => x * y, mulExact);
}

/** Zero of the same numeric type as `v` (what `$mul` stores in a missing field). */
export function zeroLike(v: unknown): unknown {
  switch (kindOf(v)) {
    case INT32:
      return new Int32(0);
    case INT64:
      return Long.fromNumber(0);
    case DOUBLE:
      return new Double(0);
    default:
      return Decimal128.fromString('0');
  }
}

/** A small integer argument (`$position`, `$slice`, `$pop`, `$size`) as a JS number. */
export function smallInteger(v: unknown): number | undefined {
  if (!isNumeric(v)) return undefined;
  const n = asDouble(v);
  return Number.isInteger(n) ? n : undefined;
}
