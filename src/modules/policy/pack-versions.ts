import 'reflect-metadata';
import { inject, injectable, optional } from 'inversify';
import { CoreTokens } from '../../container/tokens.js';
import { systemClock, type Clock } from '../../interfaces/clock.js';
import { canonicalJson, sha256Hex } from '../../codec/canonical.js';
import { DuplicateKeyError, NotFoundError, ValidationError } from '../../interfaces/errors.js';
import {
  ImmutableVersionError,
  PACK_VERSION_IMMUTABLE_FIELDS,
  PolicyTokens,
  type JsonValue,
  type PackVersion,
  type PackVersionRepository,
  type PackVersionReviewPatch,
} from '../../interfaces/policy.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { jsonProblem } from '../../codec/validate.js';

/** What `importVersion` needs: the pack and the content. */
export interface PackVersionImport {
  readonly packId: string;
  readonly schemaVersion: number;
  readonly document: JsonValue;
  readonly importedBy?: string | null;
  /** Defaults to the clock's now. */
  readonly importedAt?: Date;
}

export interface PackVersionImportResult {
  readonly version: PackVersion;
  /** False when the same content was already there (the import was a no-op). */
  readonly created: boolean;
}

/**
 * The content hash of a pack version: `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of
 * `{ packId, schemaVersion, document }`. Canonical, so key order and number spelling do not
 * matter; the pack is part of it, so the same document imported into two packs is two versions.
 *
 * @example
 * packContentHash(packId, 1, { rules: [] }); // 'sha256:5e1f...'
 */
export function packContentHash(packId: string, schemaVersion: number, document: JsonValue): string {
  return `sha256:${sha256Hex(canonicalJson({ packId, schemaVersion, document }))}`;
}

/** How many times a concurrent import that took the same version number is retried. */
const VERSION_RACE_RETRIES = 5;

/**
 * Pack versions over the generic repository, so they behave the same on Mongo, Postgres and
 * DualWrite: idempotent, content-addressed imports, and immutability of a version's content
 * (review fields only may change). PostgreSQL additionally refuses content changes from any
 * writer with a trigger (migration 001).
 *
 * @example
 * const versions = runtime.container.resolve(PackVersionService);
 * const { version, created } = await versions.importVersion(ctx, { packId, schemaVersion: 1, document });
 * await versions.importVersion(ctx, { packId, schemaVersion: 1, document }); // created: false, same version
 */
@injectable()
export class PackVersionService {
  private readonly clock: Clock;

  constructor(
    @inject(PolicyTokens.pack_version) private readonly versions: PackVersionRepository,
    @inject(CoreTokens.Clock) @optional() clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  /**
   * Imports content as the pack's next version, or returns the version that already holds exactly
   * this content (no write, no audit row). Two concurrent imports of the same content both return
   * the one stored version; of different content, each gets its own version number.
   */
  async importVersion(ctx: TenantContext, input: PackVersionImport): Promise<PackVersionImportResult> {
    const problem = jsonProblem(input.document, 'document');
    if (problem) throw new ValidationError('Policy.pack_version', 'document', problem);
    const contentHash = packContentHash(input.packId, input.schemaVersion, input.document);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.versions.findOne(ctx, { contentHash });
      if (existing) return { version: existing, created: false };
      const latest = await this.latest(ctx, input.packId);
      try {
        const version = await this.versions.insert(ctx, {
          packId: input.packId,
          version: (latest?.version ?? 0) + 1,
          contentHash,
          schemaVersion: input.schemaVersion,
          document: input.document,
          importedBy: input.importedBy ?? ctx.actorId ?? null,
          importedAt: new Date(Math.trunc((input.importedAt ?? this.clock.now()).getTime())),
          status: 'submitted',
          reviewedBy: null,
          reviewedAt: null,
        });
        return { version, created: true };
      } catch (err) {
        // Lost a race: the same content (found on the next pass) or the same version number (retry).
        if (!(err instanceof DuplicateKeyError) || attempt >= VERSION_RACE_RETRIES) throw err;
      }
    }
  }

  /** The highest version of a pack, or null when it has none. */
  async latest(ctx: TenantContext, packId: string): Promise<PackVersion | null> {
    const page = await this.versions.list(ctx, { where: { packId }, order: 'default', limit: 1 });
    return page.items[0] ?? null;
  }

  /** The version holding exactly this content, or null. */
  byContentHash(ctx: TenantContext, contentHash: string): Promise<PackVersion | null> {
    return this.versions.findOne(ctx, { contentHash });
  }

  /**
   * Changes a version's review (status, reviewer). Any content field in the patch is refused with
   * ImmutableVersionError before anything is written, on every backend.
   */
  async review(ctx: TenantContext, id: string, patch: PackVersionReviewPatch): Promise<PackVersion> {
    const content = Object.keys(patch).filter((k) => (PACK_VERSION_IMMUTABLE_FIELDS as readonly string[]).includes(k) && (patch as Record<string, unknown>)[k] !== undefined);
    if (content.length) throw new ImmutableVersionError(id, content);
    return this.versions.update(ctx, id, patch);
  }

  /**
   * Refuses any change to a version's content: the guarded form of `update` for callers holding
   * an arbitrary patch. Review-only patches pass through.
   */
  async update(ctx: TenantContext, id: string, patch: Partial<PackVersion>): Promise<PackVersion> {
    const current = await this.versions.get(ctx, id);
    if (!current) throw new NotFoundError('Policy.pack_version', id);
    const changed = (PACK_VERSION_IMMUTABLE_FIELDS as readonly string[]).filter((k) => {
      const v = (patch as Record<string, unknown>)[k];
      return v !== undefined && !sameValue(v, (current as unknown as Record<string, unknown>)[k]);
    });
    if (changed.length) throw new ImmutableVersionError(id, changed);
    const review: PackVersionReviewPatch = {};
    for (const k of ['status', 'reviewedBy', 'reviewedAt'] as const) {
      if (patch[k] !== undefined) (review as Record<string, unknown>)[k] = patch[k];
    }
    const rest = Object.keys(patch).filter((k) => !(PACK_VERSION_IMMUTABLE_FIELDS as readonly string[]).includes(k) && !(k in review) && (patch as Record<string, unknown>)[k] !== undefined);
    if (rest.length) throw new ValidationError('Policy.pack_version', rest[0]!, 'cannot be changed through a pack version update');
    return this.versions.update(ctx, id, review);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  return canonicalJson(a) === canonicalJson(b);
}
