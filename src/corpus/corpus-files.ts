import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { packageRoot } from '../postgres/migrations/package-root.js';
import { ExactJsonError, parseExactJson } from './exact-json.js';
import { decodeUtf8Strict, InvalidUtf8Error } from './utf8-text.js';

/**
 * The shared corpus of real public security documents (OSV advisories, VEX, CycloneDX SBOMs), read
 * only. Its location: env `STELLAOPS_CORPUS`, else `<packageRoot>/../shared/corpus`. Listings are
 * sorted by relative path (byte order) so every consumer sees the files in the same order.
 */

export type CorpusKind = 'advisories' | 'sbom' | 'vex';

/** Where the corpus is looked for (whether or not it exists), for messages such as skip reasons. */
export function corpusCandidate(): string {
  const fromEnv = process.env.STELLAOPS_CORPUS;
  return fromEnv && fromEnv.trim() !== '' ? resolve(fromEnv) : resolve(packageRoot(), '..', 'shared', 'corpus');
}

/**
 * The corpus folder, or null when it is absent.
 *
 * @example
 * const dir = corpusDir();
 * if (!dir) console.log(`no corpus at ${corpusCandidate()}`);
 */
export function corpusDir(): string | null {
  const dir = corpusCandidate();
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : null;
}

/**
 * Absolute paths of the `.json` files under `<root>/<kind>[/<sub>]` (recursively), sorted by their
 * path relative to the corpus root. Throws when the corpus or the folder does not exist.
 *
 * @example
 * listCorpusFiles('advisories', 'rustsec'); // ['/work/shared/corpus/advisories/rustsec/crates__RUSTSEC-2020-0001.json', ...]
 */
export function listCorpusFiles(kind: CorpusKind, sub?: string, root: string | null = corpusDir()): string[] {
  if (!root) throw new Error(`the corpus is absent (looked in ${corpusCandidate()}; set STELLAOPS_CORPUS)`);
  if (sub !== undefined && (sub === '' || sub.includes('/') || sub.includes('\\') || sub === '.' || sub === '..')) {
    throw new Error(`corpus sub-folder must be a plain folder name, got ${JSON.stringify(sub)}`);
  }
  const base = sub === undefined ? join(root, kind) : join(root, kind, sub);
  if (!existsSync(base) || !statSync(base).isDirectory()) throw new Error(`corpus folder ${base} does not exist`);
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.json')) out.push(full);
    }
  };
  walk(base);
  const key = (p: string) => Buffer.from(relative(root, p).split(sep).join('/'));
  return out.sort((a, b) => Buffer.compare(key(a), key(b)));
}

/** `path` relative to the corpus root with `/` separators (stable ids, messages). */
export function corpusRelativePath(path: string, root: string | null = corpusDir()): string {
  return root ? relative(root, path).split(sep).join('/') : path;
}

/**
 * Reads and parses one corpus file exactly: invalid UTF-8, invalid JSON, integers beyond 2^53, any
 * number a JS double would change, duplicate keys and lone surrogate escapes raise an
 * {@link ExactJsonError} naming the file and the JSON path, so the caller can quarantine or skip it
 * with that reason. A leading byte order mark is not part of the JSON text and is ignored.
 *
 * @example
 * try { const osv = readCorpusJson(file) as Record<string, unknown>; }
 * catch (err) { if (err instanceof ExactJsonError) quarantine(file, err.message); else throw err; }
 */
export function readCorpusJson(path: string): unknown {
  return parseExactJson(readCorpusText(path), path);
}

/** The file's text, decoded strictly as UTF-8 (no silent U+FFFD replacement). */
export function readCorpusText(path: string): string {
  const bytes = readFileSync(path);
  try {
    return decodeUtf8Strict(bytes);
  } catch (e) {
    if (e instanceof InvalidUtf8Error) throw new ExactJsonError(path, [], `is not valid UTF-8: ${e.message}`);
    throw e;
  }
}
