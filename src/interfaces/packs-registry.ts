import type { Entity } from './entity-spec.js';
import { PersistenceError } from './errors.js';
import { repositoryToken } from './module-definition.js';
import type { AuditRecord, EntityRepository } from './repository.js';

/**
 * PacksRegistry: the registry of distributable policy packs: entries, their published versions
 * with artifact digests and signature references, and publication state. Its tables live in
 * schema `policy` (the database docs index puts packs there) under their own names
 * (`policy.registry_entry`, `policy.registry_version`, `policy.registry_audit_log`), with their own
 * `Persistence.PacksRegistry` key and migrations, independent of the Policy module.
 * State changes go through `RegistryPublisher` (src/modules/packs-registry/publication.ts), which
 * enforces the legal transitions on every backend.
 *
 * @example
 * const entries = container.get<RegistryEntryRepository>(PacksRegistryTokens.registry_entry);
 * const entry = await entries.findOne(ctx, { name: 'stellaops/baseline' });
 */
export interface RegistryEntry extends Entity {
  /** `publisher/name`, unique per tenant. */
  name: string;
  publisher: string;
  description: string | null;
  visibility: 'public' | 'internal' | 'private';
  homepage: string | null;
  tags: string[];
}

/** Publication states of a registry version. */
export const REGISTRY_STATES = ['draft', 'published', 'deprecated', 'yanked'] as const;
export type RegistryState = (typeof REGISTRY_STATES)[number];

/**
 * Legal transitions: a draft is published; a published version may be deprecated or yanked; a
 * deprecated one may be published again (un-deprecated) or yanked; yanked is final.
 */
export const REGISTRY_TRANSITIONS: Readonly<Record<RegistryState, readonly RegistryState[]>> = Object.freeze({
  draft: Object.freeze(['published'] as RegistryState[]),
  published: Object.freeze(['deprecated', 'yanked'] as RegistryState[]),
  deprecated: Object.freeze(['published', 'yanked'] as RegistryState[]),
  yanked: Object.freeze([] as RegistryState[]),
});

export interface RegistryVersion extends Entity {
  entryId: string;
  /** Semantic version text, e.g. `1.4.0`; unique per entry. */
  version: string;
  state: RegistryState;
  /** Digest of the pack artifact, `sha256:<hex>`. */
  digest: string;
  sizeBytes: bigint;
  mediaType: string;
  /** Where the artifact lives (object storage / OCI reference). */
  artifactUri: string;
  /** Reference to the detached signature (DSSE envelope, cosign bundle), when signed. */
  signatureRef: string | null;
  signatureDigest: string | null;
  /** Key id of the signer (an IssuerDirectory key fingerprint or kid). */
  signerKeyId: string | null;
  releaseNotes: string | null;
  publishedAt: Date | null;
  deprecatedAt: Date | null;
  yankedAt: Date | null;
  yankReason: string | null;
}

/** Fields of a version's artifact: fixed once the version has left `draft`. */
export const REGISTRY_ARTIFACT_FIELDS = Object.freeze([
  'entryId',
  'version',
  'digest',
  'sizeBytes',
  'mediaType',
  'artifactUri',
  'signatureRef',
  'signatureDigest',
  'signerKeyId',
] as const);

export type RegistryAuditLogEntry = AuditRecord;

export type RegistryEntryRepository = EntityRepository<RegistryEntry>;
export type RegistryVersionRepository = EntityRepository<RegistryVersion>;
export type RegistryAuditLogRepository = EntityRepository<RegistryAuditLogEntry & Entity>;

export const PacksRegistryTokens = Object.freeze({
  registry_entry: repositoryToken('PacksRegistry', 'registry_entry'),
  registry_version: repositoryToken('PacksRegistry', 'registry_version'),
  audit_log: repositoryToken('PacksRegistry', 'audit_log'),
});

/** A change to the artifact of a version that is no longer a draft. */
export class PublishedArtifactError extends PersistenceError {
  constructor(
    readonly id: string,
    readonly fields: readonly string[],
  ) {
    super(`PacksRegistry.registry_version ${id} is no longer a draft: ${fields.join(', ')} cannot be changed (publish a new version instead)`);
  }
}
