import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { Issuer, IssuerKey, TrustOverride } from '../../interfaces/issuer-directory.js';
import { KEY_REVOCATION_REASONS } from '../../interfaces/issuer-directory.js';
import { auditLogSpec } from '../shared/audit-log.js';

/**
 * IssuerDirectory's entities: legacy collections of `stellaops_issuer` -> `issuer.*` tables.
 * Issuers are found by `issuerId` and keys by `fingerprint`: both declared unique keys, hence a
 * unique index on MongoDB (ensureIndexes) and on PostgreSQL (migration 001).
 */
const base = { module: 'IssuerDirectory', schema: 'issuer' } as const;

export const auditLog = auditLogSpec('IssuerDirectory', 'issuer_audit', 'issuer');

export const issuer: EntitySpec<Issuer> = {
  ...base,
  name: 'issuer',
  collection: 'issuers',
  table: 'issuer',
  fields: [
    { name: 'issuerId', type: 'text' },
    { name: 'displayName', type: 'text' },
    { name: 'category', type: 'text', enum: ['vendor', 'coordinator', 'discoverer', 'translator', 'user', 'other'] },
    { name: 'namespaceUri', type: 'text' },
    { name: 'contactEmail', type: 'text', nullable: true },
    { name: 'providerMetadataUrl', type: 'text', nullable: true },
    { name: 'formats', type: 'text[]' },
    { name: 'defaultWeight', type: 'float' },
    { name: 'enabled', type: 'bool' },
  ],
  uniqueKeys: [['issuerId']],
  orders: {
    default: { fields: [{ field: 'issuerId', dir: 'asc' }] },
    byName: { fields: [{ field: 'displayName', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const issuerKey: EntitySpec<IssuerKey> = {
  ...base,
  name: 'issuer_key',
  collection: 'issuer_keys',
  table: 'issuer_key',
  fields: [
    { name: 'issuerId', type: 'text' },
    { name: 'keyId', type: 'text' },
    { name: 'fingerprint', type: 'text' },
    { name: 'keyType', type: 'text', enum: ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-4096', 'pgp'] },
    { name: 'publicKey', type: 'text' },
    { name: 'validFrom', type: 'timestamp' },
    { name: 'validTo', type: 'timestamp', nullable: true },
    { name: 'revokedAt', type: 'timestamp', nullable: true },
    { name: 'revocationReason', type: 'text', nullable: true, enum: KEY_REVOCATION_REASONS },
  ],
  uniqueKeys: [['fingerprint'], ['issuerId', 'keyId']],
  orders: {
    // The keys of an issuer, newest first: what `keysOf` and the probes read.
    default: { fields: [{ field: 'issuerId', dir: 'asc' }, { field: 'validFrom', dir: 'desc' }] },
    byKeyId: { fields: [{ field: 'issuerId', dir: 'asc' }, { field: 'keyId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const trustOverride: EntitySpec<TrustOverride> = {
  ...base,
  name: 'trust_override',
  collection: 'issuer_trust_overrides',
  table: 'trust_override',
  fields: [
    { name: 'issuerId', type: 'text' },
    { name: 'trust', type: 'text', enum: ['trusted', 'untrusted', 'neutral'] },
    { name: 'weight', type: 'float' },
    { name: 'reason', type: 'text', nullable: true },
    { name: 'setBy', type: 'uuid', nullable: true },
    { name: 'expiresAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['issuerId']],
  orders: {
    default: { fields: [{ field: 'issuerId', dir: 'asc' }] },
    newest: { fields: [{ field: 'updatedAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const issuerDirectoryEntities: readonly EntitySpec[] = [issuer, issuerKey, trustOverride, auditLog];
