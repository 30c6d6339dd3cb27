import type { Entity } from './entity-spec.js';
import { repositoryToken } from './module-definition.js';
import type { AuditRecord, EntityRepository } from './repository.js';

/**
 * IssuerDirectory: the publishers of CSAF / VEX documents, their signing keys with validity
 * windows and revocation, and per-tenant trust overrides (schema `issuer`). Issuers are found by
 * their `issuerId`, keys by `fingerprint` (both unique per tenant and indexed on every backend).
 * Whether a key may verify a signature at a given time is answered by `IssuerKeyLookup.findValidKey`
 * (src/modules/issuer-directory/key-validity.ts), the same on every backend.
 *
 * @example
 * const keys = new IssuerKeyLookup(container.get<IssuerKeyRepository>(IssuerDirectoryTokens.issuer_key));
 * const key = await keys.findValidKey(ctx, 'sha256:9f2c...', signedAt); // null when revoked, expired or not yet valid
 */
export interface Issuer extends Entity {
  /** Stable slug, e.g. `redhat`, `suse`, `cisa`; unique per tenant. */
  issuerId: string;
  displayName: string;
  /** CSAF `document.publisher.category`. */
  category: 'vendor' | 'coordinator' | 'discoverer' | 'translator' | 'user' | 'other';
  /** CSAF `document.publisher.namespace`. */
  namespaceUri: string;
  contactEmail: string | null;
  /** Where the issuer's `provider-metadata.json` lives, for CSAF trusted providers. */
  providerMetadataUrl: string | null;
  /** Formats the issuer publishes: `csaf`, `openvex`, `cyclonedx-vex`, `csaf-vex`. */
  formats: string[];
  /** Trust weight used in VEX consensus when the tenant has no override, 0 to 1. */
  defaultWeight: number;
  enabled: boolean;
}

export const KEY_REVOCATION_REASONS = ['keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified'] as const;
export type KeyRevocationReason = (typeof KEY_REVOCATION_REASONS)[number];

/**
 * A signing key of an issuer. Valid at time T when `validFrom <= T < validTo` (an open `validTo`
 * never expires) and not revoked at T (`T < revokedAt`); a key revoked for `keyCompromise` is
 * never valid, at any time, because nothing it signed can be trusted.
 */
export interface IssuerKey extends Entity {
  /** The issuer's slug (`Issuer.issuerId`). */
  issuerId: string;
  /** The issuer's key id (`kid`), unique per issuer. */
  keyId: string;
  /** `sha256:<hex>` of the public key (SPKI DER / OpenPGP fingerprint); unique per tenant. */
  fingerprint: string;
  keyType: 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-4096' | 'pgp';
  /** The public key, PEM or armored. */
  publicKey: string;
  validFrom: Date;
  validTo: Date | null;
  revokedAt: Date | null;
  revocationReason: KeyRevocationReason | null;
}

/** A tenant's own trust in an issuer, overriding the issuer's default weight until `expiresAt`. */
export interface TrustOverride extends Entity {
  /** The issuer's slug; one override per issuer per tenant. */
  issuerId: string;
  trust: 'trusted' | 'untrusted' | 'neutral';
  /** Weight in VEX consensus, 0 to 1. */
  weight: number;
  reason: string | null;
  setBy: string | null;
  expiresAt: Date | null;
}

export type IssuerAuditLogEntry = AuditRecord;

export type IssuerRepository = EntityRepository<Issuer>;
export type IssuerKeyRepository = EntityRepository<IssuerKey>;
export type TrustOverrideRepository = EntityRepository<TrustOverride>;
export type IssuerAuditLogRepository = EntityRepository<IssuerAuditLogEntry & Entity>;

export const IssuerDirectoryTokens = Object.freeze({
  issuer: repositoryToken('IssuerDirectory', 'issuer'),
  issuer_key: repositoryToken('IssuerDirectory', 'issuer_key'),
  trust_override: repositoryToken('IssuerDirectory', 'trust_override'),
  audit_log: repositoryToken('IssuerDirectory', 'audit_log'),
});

/**
 * The tenant that holds IssuerDirectory's reference data (well-known CSAF / VEX publishers, seed
 * migration S001): the nil UUID, which no real tenant uses.
 */
export const ISSUER_SYSTEM_TENANT_ID = '00000000-0000-0000-0000-000000000000';
