import type { Advisory, Affected, Alias } from '../../interfaces/concelier.js';
import type { EntityRepository, Page } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { listAll } from '../../interfaces/list-all.js';

export interface AdvisoryLookupRepositories {
  readonly advisory: EntityRepository<Advisory>;
  readonly alias: EntityRepository<Alias>;
  readonly affected: EntityRepository<Affected>;
}

/** Bound on the alias closure: a runaway chain of identifiers is reported, not followed forever. */
export const MAX_EQUIVALENT_IDS = 10_000;

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Concelier's read paths, identical on every backend (each is one or a few declared list calls, so
 * output parity covers them through the module's probes):
 * - by id: the advisory of a source, or every source's advisory with that key;
 * - by alias, either direction: `CVE-2024-1` finds the GHSA / GO / RUSTSEC advisories that list it,
 *   `RUSTSEC-2024-0400` finds itself, and {@link equivalentIds} follows the chain both ways;
 * - by package (ecosystem + name), keyset-paged;
 * - modified since a time, keyset-paged in (modifiedAt, sourceKey, advisoryKey) order.
 *
 * @example
 * const lookup = new AdvisoryLookup({ advisory, alias, affected });
 * const hits = await lookup.byAlias(ctx, 'GHSA-x3f4-45xf-rjm7'); // [RUSTSEC-2024-0400 advisory]
 */
export class AdvisoryLookup {
  constructor(private readonly repos: AdvisoryLookupRepositories) {}

  get(ctx: TenantContext, sourceKey: string, advisoryKey: string): Promise<Advisory | null> {
    return this.repos.advisory.findOne(ctx, { sourceKey, advisoryKey });
  }

  /** Every source's advisory published under `advisoryKey`, by source key. */
  byId(ctx: TenantContext, advisoryKey: string): Promise<Advisory[]> {
    return listAll(this.repos.advisory, ctx, { where: { advisoryKey }, order: 'byKey' });
  }

  /** The identifier rows equal to `id` (own keys and aliases alike), by (sourceKey, advisoryKey). */
  aliasRows(ctx: TenantContext, id: string): Promise<Alias[]> {
    return listAll(this.repos.alias, ctx, { where: { alias: id }, order: 'default' });
  }

  /** The advisories that carry `id` as their key or as an alias, by (sourceKey, advisoryKey). */
  async byAlias(ctx: TenantContext, id: string): Promise<Advisory[]> {
    const out: Advisory[] = [];
    for (const row of await this.aliasRows(ctx, id)) {
      const adv = await this.get(ctx, row.sourceKey, row.advisoryKey);
      // An alias row whose advisory is not written yet (an import in progress) is not an answer.
      if (adv) out.push(adv);
    }
    return out;
  }

  /**
   * Every identifier linked to `id` through advisories, transitively (CVE -> GHSA advisory -> its
   * GO alias -> ...), `id` included, sorted by bytes. Throws past {@link MAX_EQUIVALENT_IDS}.
   */
  async equivalentIds(ctx: TenantContext, id: string): Promise<string[]> {
    const seen = new Set<string>([id]);
    const visited = new Set<string>();
    const queue = [id];
    while (queue.length) {
      const next = queue.shift()!;
      for (const row of await this.aliasRows(ctx, next)) {
        const key = `${row.sourceKey}\u0000${row.advisoryKey}`;
        if (visited.has(key)) continue;
        visited.add(key);
        const ids = await listAll(this.repos.alias, ctx, { where: { sourceKey: row.sourceKey, advisoryKey: row.advisoryKey }, order: 'byAdvisory' });
        for (const other of ids) {
          if (seen.has(other.alias)) continue;
          seen.add(other.alias);
          if (seen.size > MAX_EQUIVALENT_IDS) throw new Error(`identifier closure of ${id} exceeds ${MAX_EQUIVALENT_IDS} identifiers`);
          queue.push(other.alias);
        }
      }
    }
    return [...seen].sort(byteCompare);
  }

  /** Affected entries of a package, by (sourceKey, advisoryKey, ordinal), keyset-paged. */
  byPackage(ctx: TenantContext, ecosystem: string, packageName: string, page: { after?: string | null; limit?: number } = {}): Promise<Page<Affected>> {
    return this.repos.affected.list(ctx, { where: { ecosystem, packageName }, order: 'default', after: page.after ?? null, ...(page.limit ? { limit: page.limit } : {}) });
  }

  /** Advisories with modifiedAt >= since (millisecond keys), oldest first, keyset-paged. */
  modifiedSince(ctx: TenantContext, since: Date, page: { after?: string | null; limit?: number } = {}): Promise<Page<Advisory>> {
    return this.repos.advisory.list(ctx, { order: 'modified', range: { field: 'modifiedAt', gte: since }, after: page.after ?? null, ...(page.limit ? { limit: page.limit } : {}) });
  }
}
