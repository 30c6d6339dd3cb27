import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { PackVersion, PolicyException } from '../../interfaces/policy.js';
import type { EntityRepository } from '../../interfaces/repository.js';
import { EVALUATION_RUN_WINDOW_DAYS } from './entities.js';
import { PolicyExceptions } from './exceptions.js';
import { PackVersionService } from './pack-versions.js';
import { perTenantListProbes, perTenantProbes } from '../shared/probe-support.js';

const DAY = 86_400_000;

/**
 * Policy's module-specific output probes: the lookups and filtered lists services really run
 * (latest version of a pack, rules of a version in evaluation order, active exceptions, recent
 * evaluation runs), each against the Mongo and the Postgres implementation. Evaluation-run probes
 * stay inside the tier-B window (PostgreSQL holds only the recent runs by design).
 */
export function policyProbes(inputs: ProbeInputs): OutputProbe[] {
  const now = inputs.now;
  const recent = new Date(now.getTime() - EVALUATION_RUN_WINDOW_DAYS * DAY);
  return [
    ...perTenantProbes(inputs, 'pack', 'byName', (s) => (repo, ctx) => repo.findOne(ctx, { name: s.name } as never)),
    ...perTenantListProbes(inputs, 'pack', 'activeNewest', () => ({ where: { status: 'active' } as never, order: 'newest', limit: 20 })),
    ...perTenantListProbes(inputs, 'pack_version', 'versionsOfPack', (s) => ({ where: { packId: s.packId } as never, order: 'default', limit: 50 }), 2),
    ...perTenantProbes(inputs, 'pack_version', 'latestOfPack', (s) => (repo, ctx) => new PackVersionService(repo as unknown as EntityRepository<PackVersion>).latest(ctx, s.packId as string), 2),
    ...perTenantProbes(inputs, 'pack_version', 'byContentHash', (s) => (repo, ctx) => repo.findOne(ctx, { contentHash: s.contentHash } as never), 2),
    ...perTenantListProbes(inputs, 'pack_version', 'approvedNewest', () => ({ where: { status: 'approved' } as never, order: 'newest', limit: 20 })),
    ...perTenantListProbes(inputs, 'rule', 'rulesOfVersion', (s) => ({ where: { packVersionId: s.packVersionId } as never, order: 'default', limit: 100 }), 2),
    ...perTenantListProbes(inputs, 'rule', 'enabledByRuleId', () => ({ where: { enabled: true } as never, order: 'byRuleId', limit: 50 })),
    ...perTenantProbes(inputs, 'risk_profile', 'byProfileVersion', (s) => (repo, ctx) => repo.findOne(ctx, { profileId: s.profileId, version: s.version } as never), 2),
    ...perTenantListProbes(inputs, 'risk_profile', 'versionsOfProfile', (s) => ({ where: { profileId: s.profileId } as never, order: 'default' })),
    ...perTenantListProbes(inputs, 'risk_profile', 'defaults', () => ({ where: { isDefault: true } as never })),
    ...perTenantProbes(inputs, 'exception', 'activeNow', () => (repo, ctx) => new PolicyExceptions(repo as unknown as EntityRepository<PolicyException>).activeAt(ctx, now), 1, 'default'),
    ...perTenantProbes(inputs, 'exception', 'byExceptionId', (s) => (repo, ctx) => repo.findOne(ctx, { exceptionId: s.exceptionId } as never), 2),
    ...perTenantListProbes(inputs, 'exception', 'expiringSoon', () => ({ where: { status: 'approved' } as never, range: { field: 'expiresAt', gte: now, lt: new Date(now.getTime() + 30 * DAY) }, order: 'default' })),
    ...perTenantListProbes(inputs, 'evaluation_run', 'recent', () => ({ range: { field: 'startedAt', gte: recent }, order: 'default', limit: 50 })),
    ...perTenantListProbes(inputs, 'evaluation_run', 'ofSubject', (s) => ({ where: { subjectDigest: s.subjectDigest } as never, range: { field: 'startedAt', gte: recent }, order: 'bySubject' })),
    ...perTenantListProbes(inputs, 'evaluation_run', 'ofPackVersion', (s) => ({ where: { packVersionId: s.packVersionId } as never, range: { field: 'startedAt', gte: recent }, order: 'byPackVersion' })),
    ...perTenantListProbes(inputs, 'evaluation_run', 'failedRecent', () => ({ where: { status: 'failed' } as never, range: { field: 'startedAt', gte: recent }, order: 'default' })),
    ...perTenantListProbes(inputs, 'audit_log', 'historyOfEntity', (s) => ({ where: { entityId: s.entityId } as never, order: 'byEntity' }), 2),
  ];
}
