import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { RegistryVersion } from '../../interfaces/packs-registry.js';
import type { EntityRepository } from '../../interfaces/repository.js';
import { perTenantListProbes, perTenantProbes } from '../shared/probe-support.js';
import { RegistryPublisher } from './publication.js';

/**
 * PacksRegistry's module-specific output probes: entry lookups by name and publisher, the
 * versions of an entry, what a digest is, and the versions in each publication state.
 */
export function packsRegistryProbes(inputs: ProbeInputs): OutputProbe[] {
  const states = ['draft', 'published', 'deprecated', 'yanked'];
  return [
    ...perTenantProbes(inputs, 'registry_entry', 'byName', (s) => (repo, ctx) => repo.findOne(ctx, { name: s.name } as never), 2),
    ...perTenantListProbes(inputs, 'registry_entry', 'ofPublisher', (s) => ({ where: { publisher: s.publisher } as never, order: 'byPublisher' })),
    ...perTenantListProbes(inputs, 'registry_entry', 'publicNewest', () => ({ where: { visibility: 'public' } as never, order: 'newest', limit: 20 })),
    ...perTenantListProbes(inputs, 'registry_version', 'versionsOfEntry', (s) => ({ where: { entryId: s.entryId } as never, order: 'default' }), 2),
    ...perTenantProbes(inputs, 'registry_version', 'byEntryVersion', (s) => (repo, ctx) => repo.findOne(ctx, { entryId: s.entryId, version: s.version } as never), 2),
    ...perTenantProbes(inputs, 'registry_version', 'byDigest', (s) => (repo, ctx) => new RegistryPublisher(repo as unknown as EntityRepository<RegistryVersion>).byDigest(ctx, s.digest as string), 2),
    ...states.flatMap((state) =>
      perTenantListProbes(inputs, 'registry_version', `inState.${state}`, () => ({ where: { state } as never, order: 'byState', limit: 50 }))),
    ...perTenantListProbes(inputs, 'audit_log', 'historyOfEntity', (s) => ({ where: { entityId: s.entityId } as never, order: 'byEntity' }), 2),
  ];
}
