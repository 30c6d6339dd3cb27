import type { IssuerKey } from '../../interfaces/issuer-directory.js';
import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { EntityRepository } from '../../interfaces/repository.js';
import { perTenantListProbes, perTenantProbes } from '../shared/probe-support.js';
import { IssuerKeyLookup } from './key-validity.js';

const lookup = (repo: unknown) => new IssuerKeyLookup(repo as EntityRepository<IssuerKey>);

/**
 * IssuerDirectory's module-specific output probes: issuer by id, keys of an issuer, and key
 * validity by fingerprint now and at the edges of each sampled key's window (validFrom, the
 * millisecond before validTo, validTo, revokedAt).
 */
export function issuerDirectoryProbes(inputs: ProbeInputs): OutputProbe[] {
  const now = inputs.now;
  const at = (v: unknown, shift = 0) => (v instanceof Date ? new Date(v.getTime() + shift) : now);
  return [
    ...perTenantProbes(inputs, 'issuer', 'byIssuerId', (s) => (repo, ctx) => repo.findOne(ctx, { issuerId: s.issuerId } as never), 2),
    ...perTenantListProbes(inputs, 'issuer', 'enabledByName', () => ({ where: { enabled: true } as never, order: 'byName' })),
    ...perTenantProbes(inputs, 'issuer_key', 'keysOfIssuer', (s) => (repo, ctx) => lookup(repo).keysOf(ctx, s.issuerId as string), 2, 'default'),
    ...perTenantProbes(inputs, 'issuer_key', 'validKeysOfIssuerNow', (s) => (repo, ctx) => lookup(repo).validKeysOf(ctx, s.issuerId as string, now), 2, 'default'),
    ...perTenantProbes(inputs, 'issuer_key', 'byIssuerKeyId', (s) => (repo, ctx) => repo.findOne(ctx, { issuerId: s.issuerId, keyId: s.keyId } as never), 2),
    ...perTenantProbes(inputs, 'issuer_key', 'validNow', (s) => (repo, ctx) => lookup(repo).findValidKey(ctx, s.fingerprint as string, now), 3),
    ...perTenantProbes(inputs, 'issuer_key', 'validAtFrom', (s) => (repo, ctx) => lookup(repo).findValidKey(ctx, s.fingerprint as string, at(s.validFrom)), 3),
    ...perTenantProbes(inputs, 'issuer_key', 'validBeforeTo', (s) => (repo, ctx) => lookup(repo).findValidKey(ctx, s.fingerprint as string, at(s.validTo, -1)), 3),
    ...perTenantProbes(inputs, 'issuer_key', 'validAtTo', (s) => (repo, ctx) => lookup(repo).findValidKey(ctx, s.fingerprint as string, at(s.validTo)), 3),
    ...perTenantProbes(inputs, 'issuer_key', 'validAtRevoked', (s) => (repo, ctx) => lookup(repo).findValidKey(ctx, s.fingerprint as string, at(s.revokedAt)), 3),
    ...perTenantProbes(inputs, 'trust_override', 'byIssuerId', (s) => (repo, ctx) => repo.findOne(ctx, { issuerId: s.issuerId } as never), 2),
    ...perTenantListProbes(inputs, 'trust_override', 'newest', () => ({ order: 'newest', limit: 20 })),
    ...perTenantListProbes(inputs, 'audit_log', 'historyOfEntity', (s) => ({ where: { entityId: s.entityId } as never, order: 'byEntity' }), 2),
  ];
}
