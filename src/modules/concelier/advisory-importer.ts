import { canonicalJson } from '../../codec/canonical.js';
import type { Advisory, AdvisoryRaw, Affected, Alias } from '../../interfaces/concelier.js';
import type { EntityRepository } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { deriveAdvisory } from './advisory-derive.js';
import { planAdvisory } from './advisory-plan.js';
import { listAll } from '../../interfaces/list-all.js';

/** Where the raw upstream bytes of an imported advisory are (they stay in object storage). */
export interface RawReference {
  readonly uri: string;
  readonly storageKey: string;
  /** `sha256:<hex>` of the bytes. */
  readonly digest: string;
  readonly sizeBytes: bigint;
  readonly mediaType: string;
  readonly fetchedAt: Date;
}

export type ImportOutcome = 'created' | 'updated' | 'unchanged';

export interface AdvisoryImportRepositories {
  readonly advisory: EntityRepository<Advisory>;
  readonly alias: EntityRepository<Alias>;
  readonly affected: EntityRepository<Affected>;
  readonly advisoryRaw: EntityRepository<AdvisoryRaw>;
}

/**
 * Idempotent advisory import by content hash, on whichever backend the repositories use:
 * importing the same advisory twice is a no-op (`unchanged`: same sha256 of the canonical payload);
 * a changed advisory with the same (source, id) is an update of the row, its aliases and its
 * affected entries; a raw reference is recorded once per (source, digest) and supersedes the
 * previous current one of the advisory.
 *
 * Write order makes a crash safe to re-run: raw reference, then aliases and affected, then the
 * advisory row last (its content hash is the commit marker: until it is written, a re-import sees a
 * different hash and redoes the idempotent steps). Concurrent imports of the same advisory can
 * collide on a unique key (DuplicateKeyError): retry.
 *
 * @example
 * const importer = new AdvisoryImporter({ advisory, alias, affected, advisoryRaw });
 * await importer.import(ctx, 'rustsec', osvJson); // 'created'
 * await importer.import(ctx, 'rustsec', osvJson); // 'unchanged'
 */
export class AdvisoryImporter {
  constructor(private readonly repos: AdvisoryImportRepositories) {}

  async import(ctx: TenantContext, sourceKey: string, payload: unknown, raw?: RawReference): Promise<{ outcome: ImportOutcome; advisory: Advisory }> {
    const plan = planAdvisory(sourceKey, payload);
    // Refuse a bad advisory (timestamps, ids) before writing anything.
    const derived = deriveAdvisory({ payload: plan.advisory.payload });
    const { advisoryKey } = plan.advisory;
    const existing = await this.repos.advisory.findOne(ctx, { sourceKey, advisoryKey });

    if (raw) await this.recordRaw(ctx, sourceKey, advisoryKey, raw);
    if (existing && existing.contentHash === derived.contentHash) return { outcome: 'unchanged', advisory: existing };

    await this.syncAliases(ctx, plan.aliases);
    await this.syncAffected(ctx, sourceKey, advisoryKey, plan.affected);
    const advisory = existing
      ? await this.repos.advisory.update(ctx, existing.id, { payload: plan.advisory.payload })
      : await this.repos.advisory.insert(ctx, plan.advisory as never);
    return { outcome: existing ? 'updated' : 'created', advisory };
  }

  private async recordRaw(ctx: TenantContext, sourceKey: string, advisoryKey: string, raw: RawReference): Promise<void> {
    const found = await this.repos.advisoryRaw.findOne(ctx, { sourceKey, digest: raw.digest });
    if (!found) await this.repos.advisoryRaw.insert(ctx, { sourceKey, advisoryKey, supersededAt: null, ...raw } as never);
    // The same bytes seen again become the current reference once more.
    else if (found.supersededAt !== null) await this.repos.advisoryRaw.update(ctx, found.id, { supersededAt: null });
    const current = await listAll(this.repos.advisoryRaw, ctx, { where: { sourceKey, advisoryKey, supersededAt: null }, order: 'default' });
    for (const older of current) {
      if (older.digest !== raw.digest) await this.repos.advisoryRaw.update(ctx, older.id, { supersededAt: raw.fetchedAt });
    }
  }

  private async syncAliases(ctx: TenantContext, planned: ReturnType<typeof planAdvisory>['aliases']): Promise<void> {
    const first = planned[0]!;
    const current = await listAll(this.repos.alias, ctx, { where: { sourceKey: first.sourceKey, advisoryKey: first.advisoryKey }, order: 'byAdvisory' });
    const wanted = new Set(planned.map((a) => a.alias));
    for (const row of current) if (!wanted.has(row.alias)) await this.repos.alias.delete(ctx, row.id);
    const have = new Set(current.map((a) => a.alias));
    for (const a of planned) if (!have.has(a.alias)) await this.repos.alias.insert(ctx, a as never);
  }

  private async syncAffected(ctx: TenantContext, sourceKey: string, advisoryKey: string, planned: ReturnType<typeof planAdvisory>['affected']): Promise<void> {
    const current = await listAll(this.repos.affected, ctx, { where: { sourceKey, advisoryKey }, order: 'default' });
    const byOrdinal = new Map(current.map((row) => [row.ordinal, row]));
    for (const entry of planned) {
      const row = byOrdinal.get(entry.ordinal);
      if (!row) await this.repos.affected.insert(ctx, entry as never);
      else if (!sameAffected(row, entry)) {
        const { ecosystem, packageName, purl, ranges, versions } = entry;
        await this.repos.affected.update(ctx, row.id, { ecosystem, packageName, purl, ranges, versions });
      }
      byOrdinal.delete(entry.ordinal);
    }
    for (const stale of byOrdinal.values()) await this.repos.affected.delete(ctx, stale.id);
  }
}

function sameAffected(row: Affected, entry: Pick<Affected, 'ecosystem' | 'packageName' | 'purl' | 'ranges' | 'versions'>): boolean {
  const pick = (a: typeof entry) => canonicalJson([a.ecosystem, a.packageName, a.purl, a.ranges, a.versions]);
  return pick(row) === pick(entry);
}
