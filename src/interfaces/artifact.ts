import type { Entity } from './entity-spec.js';
import { repositoryToken } from './module-definition.js';
import type { EntityRepository } from './repository.js';

/**
 * Artifact (schema `artifact`): artifacts known by digest, their signatures and tags, and SBOM
 * documents (seeds section 4: the JSONB document with generated `bom_format` / `spec_version`).
 * Each repository is the generic contract over its entity; ask the container for it by token.
 *
 * @example
 * const sboms = container.get<SbomDocumentRepository>(ArtifactTokens.sbom_document);
 * const cdx = await sboms.list(ctx, { where: { bomFormat: 'CycloneDX' }, limit: 50 });
 */

export const ARTIFACT_KINDS = ['container-image', 'oci-artifact', 'archive', 'binary', 'package'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export const SIGNATURE_ALGORITHMS = ['ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'ed25519', 'rsa-pss-sha256', 'rsa-pkcs1-sha256'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** A stored artifact, identified by its content digest (`sha256:<hex>`). */
export interface Artifact extends Entity {
  digest: string;
  kind: ArtifactKind;
  mediaType: string;
  /** Where it lives, e.g. `registry.example.org/team/app`. */
  repository: string;
  purl: string | null;
  sizeBytes: bigint;
  /** OCI annotations / labels, kept as JSON. */
  annotations: Record<string, unknown> | null;
}

/** A signature over an artifact (cosign / DSSE style). */
export interface Signature extends Entity {
  artifactDigest: string;
  keyId: string;
  algorithm: SignatureAlgorithm;
  /** The raw signature bytes. */
  signature: Buffer;
  payloadType: string;
  issuer: string | null;
  signedAt: Date;
  verifiedAt: Date | null;
}

/** A mutable name pointing at an artifact digest. */
export interface Tag extends Entity {
  repository: string;
  name: string;
  artifactDigest: string;
}

/**
 * An SBOM document (CycloneDX JSON, exact). `contentHash` is sha256 of the RFC 8785 canonical
 * document (filled when not given; unique per tenant, so importing the same SBOM twice is refused
 * or, through SbomImporter, a no-op). `bomFormat` and `specVersion` are generated from the document
 * (PostgreSQL generated columns; read from the document on MongoDB).
 */
export interface SbomDocument extends Entity {
  artifactPurl: string;
  contentHash: Buffer;
  doc: Record<string, unknown>;
  readonly bomFormat: string | null;
  readonly specVersion: string | null;
}

export type ArtifactRepository = EntityRepository<Artifact>;
export type SignatureRepository = EntityRepository<Signature>;
export type TagRepository = EntityRepository<Tag>;
export type SbomDocumentRepository = EntityRepository<SbomDocument>;

export const ArtifactTokens = Object.freeze({
  artifact: repositoryToken('Artifact', 'artifact'),
  signature: repositoryToken('Artifact', 'signature'),
  tag: repositoryToken('Artifact', 'tag'),
  sbom_document: repositoryToken('Artifact', 'sbom_document'),
});
