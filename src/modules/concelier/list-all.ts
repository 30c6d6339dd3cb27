import type { Entity } from '../../interfaces/entity-spec.js';
import { MAX_PAGE_SIZE, type EntityRepository, type ListQuery } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';

/**
 * Every item of a keyset-paged list (a bounded set: one advisory's aliases or affected entries).
 *
 * @example
 * const rows = await listAll(aliases, ctx, { where: { sourceKey, advisoryKey }, order: 'byAdvisory' });
 */
export async function listAll<E extends Entity>(repo: EntityRepository<E>, ctx: TenantContext, query: Omit<ListQuery<E>, 'after' | 'limit'>): Promise<E[]> {
  const out: E[] = [];
  let after: string | null = null;
  do {
    const page = await repo.list(ctx, { ...query, after, limit: MAX_PAGE_SIZE });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out;
}
