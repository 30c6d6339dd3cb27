/**
 * Splits a migration file into top-level statements, the way psql does: semicolons inside quotes,
 * quoted identifiers, dollar-quoted bodies, comments and `BEGIN ATOMIC ... END` function bodies do not
 * end a statement.
 *
 * Why the runner needs it: a `-- migrate: no-transaction` file must send its statements one at a
 * time (a multi-statement query string is an implicit transaction, which CREATE INDEX CONCURRENTLY
 * refuses), and a transactional file must not carry its own BEGIN/COMMIT (it would commit the runner's
 * transaction early and break "the migration and its history row commit together").
 */
export interface SqlStatement {
  /** The statement's text, without the terminating semicolon (leading comments kept). */
  readonly text: string;
  /** Where `text` starts in the file's text (to turn PostgreSQL's error positions into lines). */
  readonly offset: number;
  /** The statement's first word, lower-cased (`create`, `begin`, ...). */
  readonly keyword: string;
}

const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const SPACE = /\s/;

/**
 * @example
 * splitSqlStatements("create table t (a text default ';'); create index on t (a);").map((s) => s.keyword);
 * // ['create', 'create']
 */
export function splitSqlStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  const n = sql.length;
  let start = 0;
  let i = 0;
  let keyword: string | null = null;
  let previousWord = '';
  let atomicDepth = 0; // inside `BEGIN ATOMIC ... END` (SQL-standard function bodies), CASE ... END nests
  let hasContent = false;

  const endStatement = (end: number) => {
    if (hasContent) statements.push({ text: sql.slice(start, end), offset: start, keyword: keyword ?? '' });
    start = end + 1;
    keyword = null;
    previousWord = '';
    hasContent = false;
  };

  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1; // PostgreSQL block comments nest
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      continue;
    }
    hasContent ||= !SPACE.test(c);
    if (c === "'") {
      // E'...' strings take backslash escapes; standard strings only double the quote.
      const escapes = i > 0 && (sql[i - 1] === 'e' || sql[i - 1] === 'E') && (i < 2 || !IDENT_CHAR.test(sql[i - 2]!));
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i++] === "'") break;
      }
      previousWord = '';
      continue;
    }
    if (c === '"') {
      i++;
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i++] === '"') break;
      }
      previousWord = '';
      continue;
    }
    if (c === '$' && (i === 0 || !IDENT_CHAR.test(sql[i - 1]!))) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql)?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? n : close + tag.length;
        previousWord = '';
        continue;
      }
    }
    if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_CHAR.test(sql[j]!)) j++;
      const word = sql.slice(i, j).toLowerCase();
      keyword ??= word;
      if (atomicDepth > 0) {
        if (word === 'case') atomicDepth++;
        else if (word === 'end') atomicDepth--;
      } else if (word === 'atomic' && previousWord === 'begin') {
        atomicDepth = 1;
      }
      previousWord = word;
      i = j;
      continue;
    }
    if (c === ';' && atomicDepth === 0) {
      endStatement(i);
      i++;
      continue;
    }
    if (!SPACE.test(c)) previousWord = '';
    i++;
  }
  endStatement(n);
  return statements;
}

const TRANSACTION_CONTROL = new Set(['begin', 'start', 'commit', 'end', 'rollback', 'abort']);

/** Top-level BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT statements of a file. */
export function transactionControlStatements(sql: string): SqlStatement[] {
  return splitSqlStatements(sql).filter((s) => TRANSACTION_CONTROL.has(s.keyword));
}

/** 1-based line of a 0-based character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
