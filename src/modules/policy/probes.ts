import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { PackVersion, PolicyException } from '../../interfaces/policy.js';
import type { EntityRepository } from '../../interfaces/repository.js';
import { EVALUATION_RUN_WINDOW_DAYS } from './entities.js';
import { PolicyExceptions } from './exceptions.js';
import { PackVersionService } from './pack-versions.js';
import { items, perTenantProbes } from '../shared/probe-support.js';

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
    ...perTenantProbes(inputs, 'pack', 'activeNewest', () => (repo, ctx) => items(repo.list(ctx, { where: { status: 'active' } as never, order: 'newest', limit: 20 }))),
    ...perTenantProbes(inputs, 'pack_version', 'versionsOfPack', (s) => (repo, ctx) => items(repo.list(ctx, { where: { packId: s.packId } as never, order: 'default', limit: 50 })), 2),
    ...perTenantProbes(inputs, 'pack_version', 'latestOfPack', (s) => (repo, ctx) => new PackVersionService(repo as unknown as EntityRepository<PackVersion>).latest(ctx, s.packId as string), 2),
    ...perTenantProbes(inputs, 'pack_version', 'byContentHash', (s) => (repo, ctx) => repo.findOne(ctx, { contentHash: s.contentHash } as never), 2),
    ...perTenantProbes(inputs, 'pack_version', 'approvedNewest', () => (repo, ctx) => items(repo.list(ctx, { where: { status: 'approved' } as never, order: 'newest', limit: 20 }))),
    ...perTenantProbes(inputs, 'rule', 'rulesOfVersion', (s) => (repo, ctx) => items(repo.list(ctx, { where: { packVersionId: s.packVersionId } as never, order: 'default', limit: 100 })), 2),
    ...perTenantProbes(inputs, 'rule', 'enabledByRuleId', () => (repo, ctx) => items(repo.list(ctx, { where: { enabled: true } as never, order: 'byRuleId', limit: 50 }))),
    ...perTenantProbes(inputs, 'risk_profile', 'byProfileVersion', (s) => (repo, ctx) => repo.findOne(ctx, { profileId: s.profileId, version: s.version } as never), 2),
    ...perTenantProbes(inputs, 'risk_profile', 'versionsOfProfile', (s) => (repo, ctx) => items(repo.list(ctx, { where: { profileId: s.profileId } as never, order: 'default' }))),
    ...perTenantProbes(inputs, 'risk_profile', 'defaults', () => (repo, ctx) => items(repo.list(ctx, { where: { isDefault: true } as never }))),
    ...perTenantProbes(inputs, 'exception', 'activeNow', () => (repo, ctx) => new PolicyExceptions(repo as unknown as EntityRepository<PolicyException>).activeAt(ctx, now)),
    ...perTenantProbes(inputs, 'exception', 'byExceptionId', (s) => (repo, ctx) => repo.findOne(ctx, { exceptionId: s.exceptionId } as never), 2),
    ...perTenantProbes(inputs, 'exception', 'expiringSoon', () => (repo, ctx) =>
      items(repo.list(ctx, { where: { status: 'approved' } as never, range: { field: 'expiresAt', gte: now, lt: new Date(now.getTime() + 30 * DAY) }, order: 'default' }))),
    ...perTenantProbes(inputs, 'evaluation_run', 'recent', () => (repo, ctx) => items(repo.list(ctx, { range: { field: 'startedAt', gte: recent }, order: 'default', limit: 50 }))),
    ...perTenantProbes(inputs, 'evaluation_run', 'ofSubject', (s) => (repo, ctx) => items(repo.list(ctx, { where: { subjectDigest: s.subjectDigest } as never, range: { field: 'startedAt', gte: recent }, order: 'bySubject' }))),
    ...perTenantProbes(inputs, 'evaluation_run', 'ofPackVersion', (s) => (repo, ctx) => items(repo.list(ctx, { where: { packVersionId: s.packVersionId } as never, range: { field: 'startedAt', gte: recent }, order: 'byPackVersion' }))),
    ...perTenantProbes(inputs, 'evaluation_run', 'failedRecent', () => (repo, ctx) => items(repo.list(ctx, { where: { status: 'failed' } as never, range: { field: 'startedAt', gte: recent }, order: 'default' }))),
    ...perTenantProbes(inputs, 'audit_log', 'historyOfEntity', (s) => (repo, ctx) => items(repo.list(ctx, { where: { entityId: s.entityId } as never, order: 'byEntity' })), 2),
  ];
}
