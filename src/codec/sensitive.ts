import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { canonicalJson } from './canonical.js';
import { fieldsOf } from './fields.js';

/**
 * Sensitive fields (`sensitive: true` in a field declaration: password and secret hashes, token
 * hashes, private key material) are compared by their real values everywhere, but reports, errors
 * and log lines show them only as `sensitive:<12 hex>`: an HMAC-SHA256 under a random key made once
 * per process (one `verify` run writes one report), so equal values show equal fingerprints and a
 * reader sees THAT two sides differ, never what either holds, and fingerprints from two runs cannot
 * be linked. Null stays null (absence is not a secret).
 */

/** Text form of a fingerprint: `sensitive:` and 12 lowercase hex digits. */
export const FINGERPRINT_PATTERN = /sensitive:[0-9a-f]{12}/g;

/** The text a value is fingerprinted by: strings as they are, anything else by its canonical JSON. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return `s:${value}`;
  if (typeof value === 'bigint') return `j:${canonicalJson({ $bigint: value.toString() })}`;
  if (Buffer.isBuffer(value)) return `j:${canonicalJson({ $bytes: value.toString('base64') })}`;
  if (value instanceof Date) return `j:${canonicalJson(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString())}`;
  try {
    return `j:${canonicalJson(value)}`;
  } catch {
    return `o:${String(value)}`;
  }
}

/**
 * Makes keyed fingerprints and remembers, for the report digest, the plain sha256 of the value
 * behind each one (the digest covers the real data, not the random key).
 *
 * @example
 * const fp = new Fingerprinter();
 * fp.fingerprint('$argon2id$v=19$...'); // 'sensitive:3f09a1c2b7de'
 */
export class Fingerprinter {
  private readonly key: Buffer;
  private readonly values = new Map<string, string>();

  constructor(key: Buffer = randomBytes(32), private readonly capacity = 50_000) {
    this.key = Buffer.from(key);
  }

  fingerprint(value: unknown): string {
    const text = valueText(value);
    const fp = `sensitive:${createHmac('sha256', this.key).update(text).digest('hex').slice(0, 12)}`;
    if (!this.values.has(fp)) {
      // Bounded: a long-running service may fingerprint values in errors for ever.
      if (this.values.size >= this.capacity) this.values.delete(this.values.keys().next().value!);
      this.values.set(fp, createHash('sha256').update(text).digest('hex'));
    }
    return fp;
  }

  /** sha256 of the value a fingerprint of this fingerprinter stands for, or null when unknown. */
  valueDigest(fingerprint: string): string | null {
    return this.values.get(fingerprint) ?? null;
  }
}

/** The fingerprinter of this process: errors, logs and reports share it, so one value reads the same in all. */
export const processFingerprinter = new Fingerprinter();

/**
 * `sensitive:<fp>` of a value (null and undefined stay as they are).
 *
 * @example
 * fingerprint('s3cret'); // 'sensitive:9c1e0b4d2a77'
 */
export function fingerprint(value: unknown): string {
  return processFingerprinter.fingerprint(value);
}

/**
 * Hides sensitive values in what reports and messages show. Knows, besides the entity's own
 * sensitive fields, the names of every sensitive field of the module, so that copies of them
 * inside JSON values (audit diffs, module probe outputs) are hidden too.
 *
 * @example
 * const redactor = Redactor.of(authorityModule.entities);
 * redactor.entity(userSpec, canonicalUser).passwordHash; // 'sensitive:...'
 */
export class Redactor {
  private readonly bySpec = new WeakMap<EntitySpec, ReadonlySet<string>>();

  constructor(
    /** Field names (domain and legacy MongoDB spellings) hidden wherever they appear as an object key. */
    readonly names: ReadonlySet<string>,
    readonly fingerprinter: Fingerprinter = processFingerprinter,
  ) {}

  static of(specs: readonly EntitySpec[], fingerprinter: Fingerprinter = processFingerprinter): Redactor {
    const names = new Set<string>();
    for (const spec of specs) for (const f of sensitiveFields(spec)) names.add(f.name).add(f.mongo);
    return new Redactor(names, fingerprinter);
  }

  /** True when nothing would ever be hidden (no sensitive field declared). */
  get empty(): boolean {
    return this.names.size === 0;
  }

  private sensitiveOf(spec: EntitySpec): ReadonlySet<string> {
    let set = this.bySpec.get(spec);
    if (!set) {
      set = new Set(sensitiveFields(spec).map((f) => f.name));
      this.bySpec.set(spec, set);
    }
    return set;
  }

  /** Whether `field` of `spec` is sensitive. */
  isSensitive(spec: EntitySpec, field: string): boolean {
    return this.sensitiveOf(spec).has(field);
  }

  /** A value as shown: its fingerprint (null stays null). */
  value(value: unknown): unknown {
    return value === null || value === undefined ? value : this.fingerprinter.fingerprint(value);
  }

  /** A copy of a (canonical) entity with its sensitive fields fingerprinted and JSON values walked. */
  entity(spec: EntitySpec, record: Record<string, unknown>): Record<string, unknown> {
    if (this.empty) return record;
    const own = this.sensitiveOf(spec);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = own.has(k) ? this.value(v) : this.deep(v);
    return out;
  }

  /** A copy of any JSON-like value where every property named like a sensitive field is fingerprinted. */
  deep(value: unknown): unknown {
    if (this.empty || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.deep(v));
    if (Buffer.isBuffer(value) || value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.names.has(k) ? this.value(v) : this.deep(v);
    return out;
  }

  /** A shown value of `field` of `spec` (an entity's field, a difference). */
  field(spec: EntitySpec, field: string, value: unknown): unknown {
    return this.isSensitive(spec, field) ? this.value(value) : this.deep(value);
  }

  /**
   * Free text (a stored quarantine reason, a driver message) with every occurrence of the given
   * real sensitive values replaced by their fingerprints.
   */
  text(text: string, secrets: readonly unknown[]): string {
    return hideValues(text, secrets, this.fingerprinter);
  }

}

/**
 * Free text with every occurrence of the given real values (strings of 4 characters or more)
 * replaced by their fingerprints.
 *
 * @example
 * hideValues('duplicate: $argon2id$abc', ['$argon2id$abc']); // 'duplicate: sensitive:...'
 */
export function hideValues(text: string, secrets: readonly unknown[], fingerprinter: Fingerprinter = processFingerprinter): string {
  let out = text;
  for (const s of secrets) if (typeof s === 'string' && s.length >= 4 && out.includes(s)) out = out.split(s).join(fingerprinter.fingerprint(s));
  return out;
}

/** The real values of the sensitive fields of an entity (domain names), nulls left out. */
export function secretValues(spec: EntitySpec, entity: Record<string, unknown> | null): unknown[] {
  if (!entity) return [];
  return sensitiveFields(spec).map((f) => entity[f.name]).filter((v) => v !== null && v !== undefined);
}

/** The declared sensitive fields of an entity. */
export function sensitiveFields(spec: EntitySpec): ReturnType<typeof fieldsOf>[number][] {
  return fieldsOf(spec).filter((f) => f.sensitive);
}

/**
 * A PostgreSQL error detail safe to show: `Key (token_hash)=(...)` keeps the value only when no key
 * column is sensitive, and `Failing row contains (...)`, which echoes a whole row, is withheld for
 * entities that have sensitive fields.
 *
 * @example
 * redactPgDetail(oauthTokenSpec, 'Key (token_hash)=(abc) already exists.'); // 'Key (token_hash)=(sensitive:...) already exists.'
 */
export function redactPgDetail(spec: EntitySpec, detail: string): string {
  const columns = new Set(sensitiveFields(spec).map((f) => f.column));
  if (columns.size === 0) return detail;
  return detail
    .replace(/Key \(([^)]*)\)=\((.*)\)( already exists| is not present| conflicts)/gs, (all, cols: string, vals: string, tail: string) =>
      cols.split(',').some((c) => columns.has(c.trim().replace(/^"|"$/g, ''))) ? `Key (${cols})=(${fingerprint(vals)})${tail}` : all,
    )
    .replace(/Failing row contains \(.*\)\.?/gs, 'Failing row withheld (the row has sensitive fields).');
}

/**
 * Canonical report text made independent of the random fingerprint key: each fingerprint becomes
 * its ordinal of first appearance (`sensitive#1`, ...); `fingerprints` lists them in that order.
 * The report digest hashes this text, and the report carries the digest of the real values behind
 * the fingerprints ({@link valuesDigest}), so the digest is stable across runs yet changes with
 * the real data.
 *
 * @example
 * ordinalForm('{"a":"sensitive:0123456789ab","b":"sensitive:0123456789ab"}').text; // '{"a":"sensitive#1","b":"sensitive#1"}'
 */
export function ordinalForm(canonicalText: string): { text: string; fingerprints: string[] } {
  const ordinals = new Map<string, number>();
  const text = canonicalText.replace(FINGERPRINT_PATTERN, (fp) => {
    let n = ordinals.get(fp);
    if (n === undefined) {
      n = ordinals.size + 1;
      ordinals.set(fp, n);
    }
    return `sensitive#${n}`;
  });
  return { text, fingerprints: [...ordinals.keys()] };
}

/**
 * sha256 over the sha256 of each real value behind the fingerprints, in the given order (an
 * unknown fingerprint stands for itself). The marked fields hold hashes and key material, so this
 * reveals nothing a guess could test cheaply.
 */
export function valuesDigest(fingerprints: readonly string[], fingerprinter: Fingerprinter = processFingerprinter): string {
  const values = fingerprints.map((fp) => fingerprinter.valueDigest(fp) ?? createHash('sha256').update(fp).digest('hex'));
  return `sha256:${createHash('sha256').update(values.join('\n')).digest('hex')}`;
}
