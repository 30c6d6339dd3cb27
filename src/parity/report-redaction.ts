import { canonicalJson } from '../codec/canonical.js';
import { secretValues, type Redactor } from '../codec/sensitive.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { DataSample, FieldDifference, ProbeDifference } from './report-types.js';

/**
 * Report evidence as shown: parity compares real values, then every sample and probe difference
 * passes through here before it goes into the report, so sensitive values appear in the JSON, HTML
 * and JUnit files only as `sensitive:<fingerprint>` (see `src/codec/sensitive.ts`).
 *
 * @example
 * const shown = redactSample(userSpec, Redactor.of([userSpec]), sample);
 * shown.differences[0].mongo; // 'sensitive:...' for passwordHash
 */
export function redactSample(spec: EntitySpec, redactor: Redactor, sample: DataSample): DataSample {
  if (redactor.empty) return sample;
  const secrets = [...secretValues(spec, sample.mongo), ...secretValues(spec, sample.postgres)];
  return {
    ...sample,
    // A stored reason (quarantine) may quote the document: its own secrets are hidden there too.
    reason: sample.reason === null ? null : redactor.text(sample.reason, secrets),
    differences: redactDifferences(spec, redactor, sample.differences),
    mongo: sample.mongo ? redactor.entity(spec, sample.mongo) : null,
    postgres: sample.postgres ? redactor.entity(spec, sample.postgres) : null,
  };
}

export function redactDifferences(spec: EntitySpec, redactor: Redactor, differences: readonly FieldDifference[]): FieldDifference[] {
  return differences.map((d) => ({ ...d, mongo: redactor.field(spec, d.field, d.mongo), postgres: redactor.field(spec, d.field, d.postgres) }));
}

/** A probe's difference as shown: outputs walked (entities by their declaration, other shapes by field name). */
export function redactProbeDifference(spec: EntitySpec, redactor: Redactor, difference: ProbeDifference): ProbeDifference {
  if (redactor.empty) return difference;
  const shown = (v: unknown) => (isEntityOf(spec, v) ? redactor.entity(spec, v) : redactor.deep(v));
  const secrets = [difference.mongo, difference.postgres].flatMap((v) => (isEntityOf(spec, v) ? secretValues(spec, v) : []));
  return {
    ...difference,
    message: redactor.text(difference.message, secrets),
    mongo: shown(difference.mongo),
    postgres: shown(difference.postgres),
    differences: redactDifferences(spec, redactor, difference.differences),
    onlyInMongo: difference.onlyInMongo.map((t) => shownId(redactor, t, secrets)),
    onlyInPostgres: difference.onlyInPostgres.map((t) => shownId(redactor, t, secrets)),
  };
}

/** An "only on one side" item: an id, or the canonical JSON of an item that has none (walked). */
function shownId(redactor: Redactor, text: string, secrets: readonly unknown[]): string {
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      return canonicalJson(redactor.deep(JSON.parse(text)));
    } catch {
      // not JSON after all: text rules below
    }
  }
  return redactor.text(text, secrets);
}

function isEntityOf(spec: EntitySpec, value: unknown): value is Record<string, unknown> {
  return Boolean(value && typeof value === 'object' && !Array.isArray(value) && spec.fields.every((f) => f.name in (value as object)));
}
