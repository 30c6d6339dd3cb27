import { createHash } from 'node:crypto';
import { canonicalJson } from '../../codec/canonical.js';
import { ValidationError } from '../../interfaces/errors.js';

/**
 * The derived fields of an SBOM document, TypeScript twins of the seeds' generated columns
 * (`bom_format = doc->>'bomFormat'`, `spec_version = doc->>'specVersion'`). `->>` of a JSON string
 * is the string; of null or a missing key, NULL. Of a number or an object it is PostgreSQL's own
 * text of the value (`1.40` stays `1.40`), which JavaScript cannot reproduce, so such documents are
 * refused (CycloneDX requires strings there anyway) instead of getting a hot field that differs
 * between stores.
 */

const ENTITY = 'Artifact.sbom_document';

function hotText(doc: Record<string, unknown>, key: string): string | null {
  const v = doc[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  throw new ValidationError(ENTITY, `doc.${key}`, `must be a string (the generated column doc->>'${key}' of a ${Array.isArray(v) ? 'array' : typeof v} has no portable text), got ${JSON.stringify(v).slice(0, 40)}`);
}

/** sha256 of the RFC 8785 canonical document, as the 32 bytes stored in `content_hash bytea`. */
export function sbomContentHash(doc: unknown): Buffer {
  return createHash('sha256').update(canonicalJson(doc)).digest();
}

/**
 * `spec.derive` of sbom_document: the generated fields, and the content hash when none is given
 * (callers replacing `doc` through `update` pass `contentHash: null` to have it recomputed).
 */
export function deriveSbomDocument(entity: Record<string, unknown>): Record<string, unknown> {
  const doc = entity.doc;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ValidationError(ENTITY, 'doc', 'must be a JSON object (an SBOM document)');
  const record = doc as Record<string, unknown>;
  const hash = entity.contentHash;
  if (Buffer.isBuffer(hash) && hash.length !== 32) throw new ValidationError(ENTITY, 'contentHash', `must be the 32 bytes of a sha256, got ${hash.length} bytes`);
  return {
    bomFormat: hotText(record, 'bomFormat'),
    specVersion: hotText(record, 'specVersion'),
    contentHash: entity.contentHash ?? sbomContentHash(doc),
  };
}
