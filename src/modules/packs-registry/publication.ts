import 'reflect-metadata';
import { inject, injectable, optional } from 'inversify';
import { IllegalTransitionError, NotFoundError, ValidationError } from '../../interfaces/errors.js';
import {
  PacksRegistryTokens,
  PublishedArtifactError,
  REGISTRY_ARTIFACT_FIELDS,
  REGISTRY_TRANSITIONS,
  type RegistryState,
  type RegistryVersion,
  type RegistryVersionRepository,
} from '../../interfaces/packs-registry.js';
import type { EntityPatch } from '../../interfaces/entity-spec.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { systemClock, type Clock } from '../../interfaces/clock.js';
import { CoreTokens } from '../../container/tokens.js';

/** True when the transition table allows `from -> to`. */
export function isLegalTransition(from: RegistryState, to: RegistryState): boolean {
  return REGISTRY_TRANSITIONS[from].includes(to);
}

/** Fields of the publication lifecycle: changed only by `transition`. */
const LIFECYCLE_FIELDS = ['state', 'publishedAt', 'deprecatedAt', 'yankedAt', 'yankReason'] as const;

/**
 * Publication of registry versions over the generic repository, so the rules hold the same on
 * Mongo, Postgres and DualWrite: only legal state transitions, the lifecycle timestamps set by the
 * transition itself, and a version's artifact (digest, size, URI, signature references) fixed once
 * it leaves `draft`. PostgreSQL also enforces both with a trigger against any other writer.
 *
 * @example
 * const publisher = new RegistryPublisher(runtime.repository('PacksRegistry', 'registry_version'));
 * await publisher.transition(ctx, versionId, 'published');
 * await publisher.transition(ctx, versionId, 'yanked', { reason: 'signature key compromised' });
 */
@injectable()
export class RegistryPublisher {
  private readonly clock: Clock;

  constructor(
    @inject(PacksRegistryTokens.registry_version) private readonly versions: RegistryVersionRepository,
    @inject(CoreTokens.Clock) @optional() clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  /**
   * Moves a version to `to`: refuses an illegal transition with IllegalTransitionError (nothing
   * written). Publishing sets `publishedAt` the first time and clears `deprecatedAt`; deprecating
   * sets `deprecatedAt`; yanking sets `yankedAt` and `yankReason` (required).
   */
  async transition(ctx: TenantContext, id: string, to: RegistryState, options: { reason?: string; at?: Date } = {}): Promise<RegistryVersion> {
    const current = await this.versions.get(ctx, id);
    if (!current) throw new NotFoundError('PacksRegistry.registry_version', id);
    if (!isLegalTransition(current.state, to)) throw new IllegalTransitionError('PacksRegistry.registry_version', id, current.state, to, REGISTRY_TRANSITIONS[current.state]);
    const at = new Date(Math.trunc((options.at ?? this.clock.now()).getTime()));
    const patch: EntityPatch<RegistryVersion> = { state: to };
    switch (to) {
      case 'published':
        patch.publishedAt = current.publishedAt ?? at;
        patch.deprecatedAt = null;
        break;
      case 'deprecated':
        patch.deprecatedAt = at;
        break;
      case 'yanked':
        if (!options.reason?.trim()) throw new ValidationError('PacksRegistry.registry_version', 'yankReason', 'a yank needs a reason');
        patch.yankedAt = at;
        patch.yankReason = options.reason;
        break;
      case 'draft':
        break; // unreachable: nothing may go back to draft (the table refuses it above)
    }
    return this.versions.update(ctx, id, patch);
  }

  /**
   * Changes descriptive fields (release notes; the artifact while still a draft). Refuses
   * lifecycle fields (use `transition`) and artifact fields of a version that left `draft`
   * (PublishedArtifactError), before anything is written.
   */
  async update(ctx: TenantContext, id: string, patch: EntityPatch<RegistryVersion>): Promise<RegistryVersion> {
    const given = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
    const lifecycle = given.filter((k) => (LIFECYCLE_FIELDS as readonly string[]).includes(k));
    if (lifecycle.length) throw new ValidationError('PacksRegistry.registry_version', lifecycle[0]!, 'changes only through a state transition');
    const current = await this.versions.get(ctx, id);
    if (!current) throw new NotFoundError('PacksRegistry.registry_version', id);
    if (current.state !== 'draft') {
      const artifact = given.filter((k) => (REGISTRY_ARTIFACT_FIELDS as readonly string[]).includes(k));
      if (artifact.length) throw new PublishedArtifactError(id, artifact);
    }
    return this.versions.update(ctx, id, patch);
  }

  /** Every version holding this artifact digest (normally one), in id order. */
  async byDigest(ctx: TenantContext, digest: string): Promise<RegistryVersion[]> {
    const page = await this.versions.list(ctx, { where: { digest }, order: 'byDigest', limit: 1000 });
    return page.items;
  }
}
