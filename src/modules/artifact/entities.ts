import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { Artifact, SbomDocument, Signature, Tag } from '../../interfaces/artifact.js';
import { ARTIFACT_KINDS, SIGNATURE_ALGORITHMS } from '../../interfaces/artifact.js';
import { ValidationError } from '../../interfaces/errors.js';
import { deriveSbomDocument } from './sbom-derive.js';

/**
 * Artifact's entities: legacy collections -> `artifact.*` tables (docs/postgres-patterns.md §1, §4).
 * Legacy documents are camelCase with a string `tenantId` and BSON Dates. Every list order ends on a
 * natural key where one exists (MongoDB breaks ties by the legacy `_id`, PostgreSQL by the UUIDv5
 * id, and those do not sort alike); sbom_document's natural key is a hash (bytes cannot be a page
 * cursor key), so its one order ends on createdAt, then id (the seeds' four indexes, no more).
 */
const base = { module: 'Artifact', schema: 'artifact' } as const;

const DIGEST_RE = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

/** Same refusal on every backend (PostgreSQL also has CHECK constraints). */
function checkDigest(entity: string, field: string) {
  return (e: Record<string, unknown>): Record<string, unknown> => {
    const v = e[field];
    if (typeof v === 'string' && !DIGEST_RE.test(v)) throw new ValidationError(`Artifact.${entity}`, field, `must be sha256:<64 hex> or sha512:<128 hex>, got ${JSON.stringify(v.slice(0, 80))}`);
    return {};
  };
}

export const artifact: EntitySpec<Artifact> = {
  ...base,
  name: 'artifact',
  collection: 'artifacts',
  table: 'artifact',
  fields: [
    { name: 'digest', type: 'text' },
    { name: 'kind', type: 'text', enum: ARTIFACT_KINDS },
    { name: 'mediaType', type: 'text' },
    { name: 'repository', type: 'text' },
    { name: 'purl', type: 'text', nullable: true },
    { name: 'sizeBytes', type: 'bigint' },
    { name: 'annotations', type: 'json', nullable: true },
  ],
  uniqueKeys: [['digest']],
  orders: {
    default: { fields: [{ field: 'digest', dir: 'asc' }] },
    byRepository: { fields: [{ field: 'repository', dir: 'asc' }, { field: 'digest', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }, { field: 'digest', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  derive: checkDigest('artifact', 'digest'),
};

export const signature: EntitySpec<Signature> = {
  ...base,
  name: 'signature',
  collection: 'signatures',
  table: 'signature',
  fields: [
    { name: 'artifactDigest', type: 'text' },
    { name: 'keyId', type: 'text' },
    { name: 'algorithm', type: 'text', enum: SIGNATURE_ALGORITHMS },
    { name: 'signature', type: 'bytes' },
    { name: 'payloadType', type: 'text' },
    { name: 'issuer', type: 'text', nullable: true },
    { name: 'signedAt', type: 'timestamp' },
    { name: 'verifiedAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['artifactDigest', 'keyId']],
  orders: {
    default: { fields: [{ field: 'artifactDigest', dir: 'asc' }, { field: 'keyId', dir: 'asc' }] },
    bySignedAt: { fields: [{ field: 'signedAt', dir: 'desc' }, { field: 'artifactDigest', dir: 'asc' }, { field: 'keyId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  derive: checkDigest('signature', 'artifactDigest'),
};

export const tag: EntitySpec<Tag> = {
  ...base,
  name: 'tag',
  collection: 'tags',
  table: 'tag',
  fields: [
    { name: 'repository', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'artifactDigest', type: 'text' },
  ],
  uniqueKeys: [['repository', 'name']],
  orders: {
    default: { fields: [{ field: 'repository', dir: 'asc' }, { field: 'name', dir: 'asc' }] },
    byArtifact: { fields: [{ field: 'artifactDigest', dir: 'asc' }, { field: 'repository', dir: 'asc' }, { field: 'name', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  derive: checkDigest('tag', 'artifactDigest'),
};

/**
 * seeds section 4, exactly: the JSONB document, generated `bom_format` / `spec_version` (on MongoDB
 * the same values are read from `doc.bomFormat` / `doc.specVersion`, where the legacy index is),
 * unique content hash per tenant.
 */
export const sbomDocument: EntitySpec<SbomDocument> = {
  ...base,
  name: 'sbom_document',
  collection: 'sbom_documents',
  table: 'sbom_document',
  fields: [
    { name: 'artifactPurl', type: 'text' },
    { name: 'contentHash', type: 'bytes' },
    { name: 'doc', type: 'json' },
    { name: 'bomFormat', type: 'text', nullable: true, generated: true, mongo: 'doc.bomFormat' },
    { name: 'specVersion', type: 'text', nullable: true, generated: true, mongo: 'doc.specVersion' },
  ],
  uniqueKeys: [['contentHash']],
  orders: {
    // "Latest version lookup" (docs/postgres-patterns.md §7): ix_sbom_doc_tenant_artifact (tenant_id, artifact_purl, created_at desc).
    default: { fields: [{ field: 'artifactPurl', dir: 'asc' }, { field: 'createdAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  derive: deriveSbomDocument,
};

export const artifactEntities: readonly EntitySpec[] = [artifact, signature, tag, sbomDocument];
