/**
 * JSON parsing that refuses to lose information silently. `JSON.parse` turns every number into a
 * double (so `12345678901234567890` quietly becomes `12345678901234567000`), keeps only the last of
 * two equal keys, and accepts `\uD800` escapes that no UTF-8 text (PostgreSQL text, jsonb) can hold.
 * This module parses natively, then scans the source text once and reports every such spot with
 * its JSON path, so a caller can quarantine or skip the document with a stated reason.
 *
 * Accepted without complaint (no information is lost in value terms): `5.0` vs `5`, `1E2` vs `100`,
 * `-0` vs `0` (RFC 8785 canonical JSON and PostgreSQL numeric print them alike).
 */

/** One spot where a plain JS value would not carry the source exactly. */
export interface JsonLossIssue {
  /** JSON path of the value, e.g. `$.affected[0].ranges[1].events[0].introduced`. */
  readonly path: string;
  readonly reason: string;
}

/** A document that cannot be parsed, or cannot be parsed without loss. */
export class ExactJsonError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly JsonLossIssue[],
    summary?: string,
  ) {
    const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.reason}`);
    const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
    super(`${file}: ${summary ?? `cannot be read exactly: ${shown.join('; ')}${more}`}`);
    this.name = 'ExactJsonError';
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Parses `text` (the content of `file`, named in errors) and checks it converts to plain JS without
 * loss. Throws {@link ExactJsonError} listing every problem (syntax errors included).
 *
 * @example
 * parseExactJson('{"n": 5.0}', 'a.json');            // { n: 5 }
 * parseExactJson('{"n": 9007199254740993}', 'b.json'); // throws: $.n: integer ... beyond 2^53
 */
export function parseExactJson(text: string, file: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ExactJsonError(file, [], `is not valid JSON: ${(err as Error).message}`);
  }
  const issues = new LossScanner(text).scan();
  if (issues.length) throw new ExactJsonError(file, issues);
  return value;
}

/** Problems of a JSON text already known to be valid (JSON.parse accepted it), with paths. */
export function jsonLossIssues(text: string): JsonLossIssue[] {
  return new LossScanner(text).scan();
}

/**
 * Why a JSON number literal does not survive the round trip through a JS double, or null.
 * Integers must be within ±(2^53 - 1); any other literal must denote the same decimal value as the
 * shortest text of the double it parses to.
 */
export function numberLossReason(literal: string): string | null {
  const n = Number(literal);
  if (!Number.isFinite(n)) return `number ${literal} is beyond the range of a double`;
  if (!/[.eE]/.test(literal)) {
    const b = BigInt(literal);
    if (b > MAX_SAFE || b < -MAX_SAFE) return `integer ${literal} is beyond 2^53 and would lose precision as a JS number`;
    return null;
  }
  if (decimalKey(literal) !== decimalKey(String(n))) {
    return `number ${literal} would change to ${String(n)} as a JS number`;
  }
  return null;
}

/** The exact decimal value of a number literal as `sign digits e exponent`, zeros normalised. */
function decimalKey(literal: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(literal);
  if (!m) throw new TypeError(`not a JSON number: ${literal}`);
  const frac = m[3] ?? '';
  let digits = `${m[2] ?? ''}${frac}`.replace(/^0+/, '');
  let exponent = Number(m[4] ?? '0') - frac.length;
  if (digits === '') return '0';
  const trimmed = digits.replace(/0+$/, '');
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  return `${m[1]}${digits}e${exponent}`;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The JSON path of member `key` of the value at `parent`: `$.a.b`, or `$.a["odd key"]`. */
export function childPath(parent: string, key: string): string {
  return IDENT.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * A single pass over valid JSON text (JSON.parse has already accepted it, so the grammar is not
 * re-checked), tracking the path to report numbers, duplicate keys and lone surrogate escapes.
 */
class LossScanner {
  private i = 0;
  private readonly issues: JsonLossIssue[] = [];

  constructor(private readonly text: string) {}

  scan(): JsonLossIssue[] {
    this.value('$');
    return this.issues;
  }

  private ws(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  private value(path: string): void {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') this.object(path);
    else if (c === '[') this.array(path);
    else if (c === '"') this.string(path);
    else if (c === 't') this.i += 4;
    else if (c === 'f') this.i += 5;
    else if (c === 'n') this.i += 4;
    else this.number(path);
  }

  private object(path: string): void {
    this.i++; // {
    const keys = new Set<string>();
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const key = this.string(path);
      const at = childPath(path, key);
      if (keys.has(key)) this.issues.push({ path: at, reason: 'duplicate key (a JS object keeps only the last value)' });
      keys.add(key);
      this.ws();
      this.i++; // :
      this.value(at);
      this.ws();
      if (this.text[this.i++] === '}') return;
    }
  }

  private array(path: string): void {
    this.i++; // [
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (let index = 0; ; index++) {
      this.value(`${path}[${index}]`);
      this.ws();
      if (this.text[this.i++] === ']') return;
    }
  }

  /** Skips a string token, checks its \u escapes pair up, returns its decoded text. */
  private string(path: string): string {
    const t = this.text;
    const start = this.i;
    let escaped = false;
    let j = start + 1;
    for (;;) {
      const c = t.charCodeAt(j);
      if (c === 0x22) break; // closing quote
      if (c === 0x5c) {
        escaped = true;
        if (t[j + 1] === 'u') {
          const unit = parseInt(t.slice(j + 2, j + 6), 16);
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const next = t[j + 6] === '\\' && t[j + 7] === 'u' ? parseInt(t.slice(j + 8, j + 12), 16) : -1;
            if (next >= 0xdc00 && next <= 0xdfff) {
              j += 12;
              continue;
            }
            this.issues.push({ path, reason: `lone high surrogate \\u${t.slice(j + 2, j + 6)} (not representable as UTF-8 text)` });
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            this.issues.push({ path, reason: `lone low surrogate \\u${t.slice(j + 2, j + 6)} (not representable as UTF-8 text)` });
          }
          j += 6;
        } else {
          j += 2;
        }
        continue;
      }
      j++;
    }
    this.i = j + 1;
    const raw = t.slice(start, j + 1);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private number(path: string): void {
    const t = this.text;
    const start = this.i;
    let j = start;
    while (j < t.length && /[-+0-9.eE]/.test(t[j]!)) j++;
    this.i = j;
    const reason = numberLossReason(t.slice(start, j));
    if (reason) this.issues.push({ path, reason });
  }
}
