import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { RegistryEntry, RegistryVersion } from '../../interfaces/packs-registry.js';
import { REGISTRY_STATES } from '../../interfaces/packs-registry.js';
import { auditLogSpec } from '../shared/audit-log.js';

/**
 * PacksRegistry's entities: legacy collections of `stellaops_packs` -> tables in schema `policy`
 * (the docs index puts packs there), named `registry_*` so they never meet Policy's tables.
 */
const base = { module: 'PacksRegistry', schema: 'policy' } as const;

export const auditLog = auditLogSpec('PacksRegistry', 'packs_registry_audit', 'policy', 'registry_audit_log');

export const registryEntry: EntitySpec<RegistryEntry> = {
  ...base,
  name: 'registry_entry',
  collection: 'packs_registry_entries',
  table: 'registry_entry',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'publisher', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'visibility', type: 'text', enum: ['public', 'internal', 'private'] },
    { name: 'homepage', type: 'text', nullable: true },
    { name: 'tags', type: 'text[]' },
  ],
  uniqueKeys: [['name']],
  orders: {
    default: { fields: [{ field: 'name', dir: 'asc' }] },
    byPublisher: { fields: [{ field: 'publisher', dir: 'asc' }, { field: 'name', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const registryVersion: EntitySpec<RegistryVersion> = {
  ...base,
  name: 'registry_version',
  collection: 'packs_registry_versions',
  table: 'registry_version',
  fields: [
    { name: 'entryId', type: 'uuid' },
    { name: 'version', type: 'text' },
    { name: 'state', type: 'text', enum: REGISTRY_STATES },
    { name: 'digest', type: 'text' },
    { name: 'sizeBytes', type: 'bigint' },
    { name: 'mediaType', type: 'text' },
    { name: 'artifactUri', type: 'text' },
    { name: 'signatureRef', type: 'text', nullable: true },
    { name: 'signatureDigest', type: 'text', nullable: true },
    { name: 'signerKeyId', type: 'text', nullable: true },
    { name: 'releaseNotes', type: 'text', nullable: true },
    { name: 'publishedAt', type: 'timestamp', nullable: true },
    { name: 'deprecatedAt', type: 'timestamp', nullable: true },
    { name: 'yankedAt', type: 'timestamp', nullable: true },
    { name: 'yankReason', type: 'text', nullable: true },
  ],
  uniqueKeys: [['entryId', 'version']],
  orders: {
    // Version text sorts by bytes (`1.10.0` before `1.9.0`): deterministic, not semver precedence.
    default: { fields: [{ field: 'entryId', dir: 'asc' }, { field: 'version', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }] },
    // Lookup of what a digest is (also the index that serves it on both backends).
    byDigest: { fields: [{ field: 'digest', dir: 'asc' }] },
    byState: { fields: [{ field: 'state', dir: 'asc' }, { field: 'entryId', dir: 'asc' }, { field: 'version', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const packsRegistryEntities: readonly EntitySpec[] = [registryEntry, registryVersion, auditLog];
