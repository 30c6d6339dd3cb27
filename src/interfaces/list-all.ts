import type { Entity } from './entity-spec.js';
import { MAX_PAGE_SIZE, type EntityRepository, type ListQuery } from './repository.js';
import type { TenantContext } from './tenant-context.js';

/**
 * Every item of a keyset-paged list, following `next` cursors: for bounded sets (one advisory's
 * aliases, a key's history) and for probes. `pageSize` is the page size asked for (default the
 * maximum); `cap` stops after that many items.
 *
 * @example
 * const aliases = await listAll(aliasRepo, ctx, { where: { advisoryKey }, order: 'byAdvisory' });
 * const firstHundred = await listAll(users, ctx, { order: 'newest' }, { pageSize: 7, cap: 100 });
 */
export async function listAll<E extends Entity>(
  repo: EntityRepository<E>,
  ctx: TenantContext,
  query: Omit<ListQuery<E>, 'after' | 'limit'>,
  options: { readonly pageSize?: number; readonly cap?: number } = {},
): Promise<E[]> {
  const cap = options.cap ?? Number.POSITIVE_INFINITY;
  const out: E[] = [];
  let after: string | null = null;
  do {
    const page: { items: E[]; next: string | null } = await repo.list(ctx, { ...query, after, limit: options.pageSize ?? MAX_PAGE_SIZE });
    out.push(...page.items);
    after = page.next;
  } while (after && out.length < cap);
  return Number.isFinite(cap) ? out.slice(0, cap) : out;
}
