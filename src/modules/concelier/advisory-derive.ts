import { canonicalJson, sha256Hex } from '../../codec/canonical.js';
import { typedToJson } from '../../codec/typed-json.js';
import { ValidationError } from '../../interfaces/errors.js';
import { parseOsvTimestamp } from './osv-timestamp.js';

/**
 * Everything of an advisory row that is derived from its OSV payload (the payload is the only source
 * of truth). The four generated fields are the TypeScript twins of the generated-column expressions
 * in migrations/001_vuln_schema.sql and MUST compute the same values (parity compares the MongoDB
 * side, computed here, with the PostgreSQL side, computed by the database, on every row):
 *
 * | field         | PostgreSQL                                                     |
 * |---------------|----------------------------------------------------------------|
 * | aliases       | vuln.osv_aliases(payload): string elements of `aliases`, in order |
 * | ecosystems    | vuln.osv_ecosystems(payload): distinct string `affected[].package.ecosystem`, byte order |
 * | severity      | `database_specific.severity` when it is a string               |
 * | severityScore | `severity[0].score` when it is a string                        |
 *
 * The timestamps and the content hash are plain columns filled here (PostgreSQL can neither compute
 * RFC 8785 nor parse RFC 3339 immutably), so one function is their single definition on both stores.
 */

const ENTITY = 'Concelier.advisory';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `vuln.osv_aliases`: the string elements of `payload.aliases`, in order; [] when absent. */
export function osvAliases(payload: Json): string[] {
  const aliases = payload.aliases;
  return Array.isArray(aliases) ? aliases.filter((a): a is string => typeof a === 'string') : [];
}

/** `vuln.osv_ecosystems`: distinct string ecosystems of `affected[].package`, sorted by UTF-8 bytes (COLLATE "C"). */
export function osvEcosystems(payload: Json): string[] {
  const affected = payload.affected;
  if (!Array.isArray(affected)) return [];
  const set = new Set<string>();
  for (const a of affected) {
    if (isObject(a) && isObject(a.package) && typeof a.package.ecosystem === 'string') set.add(a.package.ecosystem);
  }
  return [...set].sort(utf8Compare);
}

export function osvSeverity(payload: Json): string | null {
  const ds = payload.database_specific;
  return isObject(ds) && typeof ds.severity === 'string' ? ds.severity : null;
}

export function osvSeverityScore(payload: Json): string | null {
  const s = payload.severity;
  return Array.isArray(s) && isObject(s[0]) && typeof s[0].score === 'string' ? s[0].score : null;
}

/**
 * sha256 (hex) of the RFC 8785 canonical payload, in its typed encoding (src/codec/typed-json.ts): a
 * legacy payload holding BSON values (a Date, an Int64, a NaN) hashes as it is stored in jsonb; a plain
 * JSON payload without `$` keys encodes as itself, so its hash is what it always was.
 */
export function advisoryContentHash(payload: unknown): string {
  return sha256Hex(canonicalJson(typedToJson(payload)));
}

function timestamp(payload: Json, key: string, required: boolean): Date | null {
  const raw = payload[key];
  if (raw === undefined || raw === null) {
    if (required) throw new ValidationError(ENTITY, `payload.${key}`, 'is required (OSV `modified`)');
    return null;
  }
  if (typeof raw !== 'string') throw new ValidationError(ENTITY, `payload.${key}`, `must be an RFC 3339 string, got ${typeof raw}`);
  const parsed = parseOsvTimestamp(raw);
  if (!parsed.ok) throw new ValidationError(ENTITY, `payload.${key}`, parsed.reason);
  return parsed.date;
}

/** Checks that the payload's identifier lists hold strings only (a malformed advisory is refused, not trimmed). */
function checkStrings(payload: Json, key: string): void {
  const v = payload[key];
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw new ValidationError(ENTITY, `payload.${key}`, 'must be an array of strings');
  v.forEach((e, i) => {
    if (typeof e !== 'string') throw new ValidationError(ENTITY, `payload.${key}[${i}]`, `must be a string, got ${e === null ? 'null' : typeof e}`);
  });
}

/**
 * `spec.derive` of the advisory entity: every derived field from `payload`. Throws ValidationError
 * (naming the payload path) when the payload is not an object, lacks `id`/`modified`, or carries a
 * timestamp that is not RFC 3339 / outside the Date range.
 */
export function deriveAdvisory(entity: Record<string, unknown>): Record<string, unknown> {
  const payload = entity.payload;
  if (!isObject(payload)) throw new ValidationError(ENTITY, 'payload', 'must be a JSON object (an OSV advisory)');
  if (typeof payload.id !== 'string' || payload.id === '') throw new ValidationError(ENTITY, 'payload.id', 'must be a non-empty string');
  checkStrings(payload, 'aliases');
  return {
    contentHash: advisoryContentHash(payload),
    publishedAt: timestamp(payload, 'published', false),
    modifiedAt: timestamp(payload, 'modified', true),
    withdrawnAt: timestamp(payload, 'withdrawn', false),
    aliases: osvAliases(payload),
    ecosystems: osvEcosystems(payload),
    severity: osvSeverity(payload),
    severityScore: osvSeverityScore(payload),
  };
}
