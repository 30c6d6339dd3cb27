/**
 * A strict JSON (RFC 8259) grammar check that says WHERE a text is wrong (`JSON.parse` in Node 20
 * often names no position), and the outline of a valid text: where each document of a top-level
 * array, or of each array member of a top-level object, starts and ends. Callers slice the text at
 * those spans to read, check and report each document on its own, with its line.
 */

/** The text is not JSON: `offset` (0-based, in UTF-16 units of the text) of the first offending character. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'JsonSyntaxError';
  }
}

/** `[start, end)` of one value in the text. */
export interface JsonSpan {
  readonly start: number;
  readonly end: number;
}

/** One member of a top-level object; `items` are its elements when its value is an array, else null. */
export interface JsonMemberOutline {
  readonly key: string;
  /** Offset of the key's opening quote. */
  readonly offset: number;
  readonly items: JsonSpan[] | null;
}

export type JsonOutline =
  | { readonly kind: 'array'; readonly items: JsonSpan[] }
  | { readonly kind: 'object'; readonly members: JsonMemberOutline[] }
  | { readonly kind: 'scalar' };

/**
 * Checks `text` is exactly one JSON value (whitespace around allowed) and outlines it; throws
 * {@link JsonSyntaxError} at the first offence.
 *
 * @example
 * outlineJson('{"users": [{"a": 1}, {"a": 2}]}'); // { kind: 'object', members: [{ key: 'users', items: [{start: 11, end: 19}, ...] }] }
 * outlineJson('[1, 2,]');                          // throws JsonSyntaxError: offset 6, "expected a value, found ']'"
 */
export function outlineJson(text: string): JsonOutline {
  return new OutlineScanner(text).outline();
}

/** 1-based line and column (in characters, a surrogate pair counting one) of `offset` in `text`. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  at(offset: number): { line: number; column: number } {
    const line = this.lineAt(offset);
    return { line, column: [...this.text.slice(this.starts[line - 1], offset)].length + 1 };
  }
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

class OutlineScanner {
  private i = 0;

  constructor(private readonly text: string) {}

  outline(): JsonOutline {
    this.ws();
    let outline: JsonOutline;
    const c = this.text[this.i];
    if (c === '[') outline = { kind: 'array', items: this.array(true)! };
    else if (c === '{') outline = { kind: 'object', members: this.object(true)! };
    else {
      this.value();
      outline = { kind: 'scalar' };
    }
    this.ws();
    if (this.i < this.text.length) this.fail(`unexpected ${this.found()} after the end of the JSON value`);
    return outline;
  }

  private fail(reason: string, at = this.i): never {
    throw new JsonSyntaxError(at, reason);
  }

  private found(): string {
    if (this.i >= this.text.length) return 'end of input';
    const cp = this.text.codePointAt(this.i)!;
    return cp < 0x20 ? `character U+${cp.toString(16).padStart(4, '0').toUpperCase()}` : `'${String.fromCodePoint(cp)}'`;
  }

  private ws(): void {
    while (this.i < this.text.length && WS.has(this.text.charCodeAt(this.i))) this.i++;
  }

  private expect(ch: string, what: string): void {
    this.ws();
    if (this.text[this.i] !== ch) this.fail(`expected ${what}, found ${this.found()}`);
    this.i++;
  }

  private value(): void {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') this.object(false);
    else if (c === '[') this.array(false);
    else if (c === '"') this.string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) this.number();
    else if (this.text.startsWith('true', this.i)) this.i += 4;
    else if (this.text.startsWith('false', this.i)) this.i += 5;
    else if (this.text.startsWith('null', this.i)) this.i += 4;
    else this.fail(`expected a value, found ${this.found()}`);
  }

  /** With `outline`, records the members (and the spans of array members' elements). */
  private object(outline: boolean): JsonMemberOutline[] | null {
    const members: JsonMemberOutline[] = [];
    this.i++; // {
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return members;
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail(`expected a member name in double quotes, found ${this.found()}`);
      const offset = this.i;
      const key = this.string();
      this.expect(':', "':' after a member name");
      this.ws();
      if (outline && this.text[this.i] === '[') members.push({ key, offset, items: this.array(true) });
      else {
        this.value();
        if (outline) members.push({ key, offset, items: null });
      }
      this.ws();
      const c = this.text[this.i];
      if (c === '}') {
        this.i++;
        return outline ? members : null;
      }
      if (c !== ',') this.fail(`expected ',' or '}' after an object member, found ${this.found()}`);
      this.i++;
    }
  }

  /** With `outline`, returns the spans of the elements. */
  private array(outline: boolean): JsonSpan[] | null {
    const items: JsonSpan[] = [];
    this.i++; // [
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return items;
    }
    for (;;) {
      this.ws();
      const start = this.i;
      this.value();
      if (outline) items.push({ start, end: this.i });
      this.ws();
      const c = this.text[this.i];
      if (c === ']') {
        this.i++;
        return outline ? items : null;
      }
      if (c !== ',') this.fail(`expected ',' or ']' after an array element, found ${this.found()}`);
      this.i++;
    }
  }

  /** Checks a string token and returns its value (member names are needed decoded). */
  private string(): string {
    const t = this.text;
    const start = this.i;
    let j = start + 1;
    let escaped = false;
    for (;;) {
      if (j >= t.length) this.fail('unterminated string', start);
      const c = t.charCodeAt(j);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.i = j;
        this.fail(`${this.found()} inside a string must be escaped`);
      }
      if (c === 0x5c) {
        escaped = true;
        const e = t[j + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(j + 2, j + 6))) this.fail('\\u must be followed by 4 hexadecimal digits', j);
          j += 6;
        } else if (e !== undefined && ESCAPES.has(e)) j += 2;
        else this.fail(`invalid escape \\${e ?? ''} in a string`, j);
        continue;
      }
      j++;
    }
    this.i = j + 1;
    const raw = t.slice(start, j + 1);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private number(): void {
    const start = this.i;
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
    m.lastIndex = start;
    const match = m.exec(this.text);
    if (!match) this.fail(`invalid number, found ${this.found()}`);
    this.i += match[0].length;
    const next = this.text[this.i];
    // `01`, `1.`, `1e`, `-.5` and the like: the grammar stopped before a character a number cannot hold there.
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.fail(`invalid number ${JSON.stringify(this.text.slice(start, this.i + 1))}`, this.i);
  }
}
