/**
 * Exact decimals are carried as strings. Decimal128 may print exponent forms (`1.50E+2`, `-0`)
 * that PostgreSQL `numeric` prints differently (`150`, `0`), although the value is the same.
 * Both sides use this one spelling, PostgreSQL's, so parity compares values, not notations.
 */
const DECIMAL_RE = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;

export function normalizeDecimal(text: string): string {
  if (/^[-+]?(NaN|nan)$/.test(text)) return 'NaN';
  if (/^\+?Inf(inity)?$/i.test(text)) return 'Infinity';
  if (/^-Inf(inity)?$/i.test(text)) return '-Infinity';
  const m = DECIMAL_RE.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new TypeError(`not a decimal: ${JSON.stringify(text)}`);
  const sign = m[1] === '-' ? '-' : '';
  const intDigits = m[2] ?? '';
  const fracDigits = m[3] ?? '';
  const exponent = Number(m[4] ?? '0') - fracDigits.length;
  let digits = (intDigits + fracDigits).replace(/^0+(?=\d)/, '');
  if (digits === '') digits = '0';
  let out: string;
  if (exponent >= 0) {
    out = digits === '0' ? '0' : digits + '0'.repeat(exponent);
  } else {
    const scale = -exponent;
    const padded = digits.padStart(scale + 1, '0');
    out = `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
  }
  const isZero = /^[0.]*$/.test(out);
  return isZero ? out : sign + out;
}
