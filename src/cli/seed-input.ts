import { readFileSync } from 'node:fs';
import { EJSON, type Document } from 'bson';
import { jsonLossIssues, type JsonLossIssue } from '../corpus/exact-json.js';
import { JsonSyntaxError, LineIndex, outlineJson, type JsonSpan } from '../corpus/json-outline.js';
import { extendedJsonIssues } from '../corpus/strict-extended-json.js';
import { decodeUtf8Strict, InvalidUtf8Error } from '../corpus/utf8-text.js';
import { UsageError } from './cli-support.js';

/** One legacy document read from a seed file, with where it came from (for every later message). */
export interface SeedDocument {
  readonly collection: string;
  readonly document: Document;
  /** e.g. `users.ejson: document 3 (line 4)` or `all.ejson: authority_users document 3 (line 4)`. */
  readonly where: string;
}

/** A seed file that cannot be loaded as it is (exit 2): every message names the file and the spot. */
export class SeedInputError extends UsageError {
  constructor(readonly problems: readonly string[]) {
    const shown = problems.slice(0, MAX_SHOWN);
    const more = problems.length > shown.length ? `\n  (and ${problems.length - shown.length} more)` : '';
    super(`${shown.join('\n  ')}${more}\nnothing was loaded`);
  }
}

const MAX_SHOWN = 20;

/**
 * Reads legacy documents from a canonical (or relaxed v2) Extended JSON file, refusing anything
 * that would be loaded other than as written: bytes that are not UTF-8, JSON syntax errors (line
 * and column), numbers JSON would round, duplicate keys, lone surrogates, malformed or lenient
 * Extended JSON wrappers (`$date`, `$oid`, `$numberLong`, ... see strict-extended-json.ts),
 * documents without `_id`, collections `checkCollection` does not know. Accepted shapes:
 * `{ "<collection>": [doc, ...], ... }`, or with `collection` an array of documents or one document
 * per line (JSON lines). Throws one {@link SeedInputError} listing every problem of the file.
 *
 * @example
 * readSeedFile('users.ejson', 'authority_users', () => null); // [{ collection, document, where: 'users.ejson: document 1 (line 1)' }, ...]
 */
export function readSeedFile(path: string, collection: string | undefined, checkCollection: (name: string) => string | null): SeedDocument[] {
  const text = decode(path, readBytes(path));
  const lines = new LineIndex(text);
  const at = (offset: number) => {
    const { line, column } = lines.at(offset);
    return `${path}: line ${line}, column ${column}`;
  };
  const problems: string[] = [];
  const documents: SeedDocument[] = [];
  const read = (coll: string, span: JsonSpan, n: number, label: string, syntaxChecked = true) => {
    const where = `${path}: ${label}document ${n} (line ${lines.lineAt(span.start)})`;
    const doc = readDocument(text.slice(span.start, span.end), syntaxChecked, where, problems, (offset) => at(span.start + offset));
    if (doc) documents.push({ collection: coll, document: doc, where });
  };

  if (collection && !text.trimStart().startsWith('[')) {
    // JSON lines: each non-blank line is one document; the line is the document's position.
    let start = 0;
    let n = 0;
    for (const line of text.split('\n')) {
      const span = { start, end: start + line.length };
      start = span.end + 1;
      if (line.trim()) read(collection, span, ++n, '', false);
    }
    if (problems.length) throw new SeedInputError(problems);
    return documents;
  }

  let outline;
  try {
    outline = outlineJson(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const hint = collection ? '' : ' (one document per line needs --collection)';
    throw new SeedInputError([`${at(e.offset)}: invalid JSON: ${e.reason}${e.reason.includes('after the end') ? hint : ''}`]);
  }
  if (collection) {
    if (outline.kind !== 'array') throw new SeedInputError([`${at(0)}: with --collection the file must be an array of documents or one document per line`]);
    outline.items.forEach((span, i) => read(collection, span, i + 1, ''));
  } else {
    if (outline.kind !== 'object') {
      throw new SeedInputError([`${at(0)}: expected { "<collection>": [documents] } (or pass --collection for an array or one document per line)`]);
    }
    const seen = new Set<string>();
    for (const member of outline.members) {
      const name = JSON.stringify(member.key);
      if (seen.has(member.key)) problems.push(`${at(member.offset)}: collection ${name} appears twice`);
      seen.add(member.key);
      const unknown = checkCollection(member.key);
      if (unknown) problems.push(`${at(member.offset)}: ${unknown}`);
      else if (!member.items) problems.push(`${at(member.offset)}: ${name} must be an array of documents`);
      else member.items.forEach((span, i) => read(member.key, span, i + 1, `${member.key} `));
    }
  }
  if (problems.length) throw new SeedInputError(problems);
  return documents;
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new SeedInputError([`${path}: ${why}`]);
  }
}

function decode(path: string, bytes: Buffer): string {
  try {
    return decodeUtf8Strict(bytes);
  } catch (e) {
    if (e instanceof InvalidUtf8Error) throw new SeedInputError([`${path}: ${e.message}`]);
    throw e;
  }
}

/**
 * One document's text -> its bson value, or null after pushing its problems (with `where`).
 * `syntaxChecked`: the text is an element of an outlined file (valid JSON starting at the value).
 */
function readDocument(source: string, syntaxChecked: boolean, where: string, problems: string[], at: (offset: number) => string): Document | null {
  if (!syntaxChecked) {
    try {
      outlineJson(source);
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      problems.push(`${at(e.offset)}: invalid JSON: ${e.reason}`);
      return null;
    }
  }
  if (!source.trimStart().startsWith('{')) {
    problems.push(`${where}: is not an object`);
    return null;
  }
  const plain = JSON.parse(source) as Record<string, unknown>;
  const issues: JsonLossIssue[] = [...jsonLossIssues(source), ...extendedJsonIssues(plain)];
  if (!('_id' in plain)) issues.push({ path: '$', reason: 'has no _id (a legacy document needs one to be loaded idempotently)' });
  if (issues.length) {
    for (const i of issues) problems.push(`${where}: ${displayPath(i.path)}${i.reason}`);
    return null;
  }
  try {
    return EJSON.parse(source, { relaxed: false }) as Document;
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`); // a bson refusal not foreseen by the checks above
    return null;
  }
}

/** `$.a.b` -> `a.b: `; the document itself -> nothing. */
function displayPath(path: string): string {
  if (path === '$') return '';
  return `${path.startsWith('$.') ? path.slice(2) : path.slice(1)}: `;
}
