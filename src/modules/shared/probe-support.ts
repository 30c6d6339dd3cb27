import type { Entity } from '../../interfaces/entity-spec.js';
import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import { listAll } from '../../interfaces/list-all.js';
import type { ListQuery } from '../../interfaces/repository.js';

/**
 * Helpers for module-specific output probes: probes built
 * from the sampled legacy entities of each tenant, with stable names.
 */

export type Sample = Record<string, unknown>;

/** The samples of one entity, grouped by tenant, in the order the inputs give them. */
export function samplesByTenant(inputs: ProbeInputs, entity: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const s of inputs.samples.get(entity) ?? []) {
    const tenant = s.tenantId as string;
    if (!out.has(tenant)) out.set(tenant, []);
    out.get(tenant)!.push(s);
  }
  return out;
}

/**
 * One probe per (tenant, sample) for an entity: `make` turns a sample into the call. Names carry
 * the tenant's index in `inputs.tenants`, so they are stable across runs over the same data.
 */
export function perTenantProbes(
  inputs: ProbeInputs,
  entity: string,
  probe: string,
  make: (sample: Sample) => OutputProbe['call'],
  perTenant = 1,
  order?: string,
): OutputProbe[] {
  const grouped = samplesByTenant(inputs, entity);
  const probes: OutputProbe[] = [];
  inputs.tenants.forEach((tenant, ti) => {
    (grouped.get(tenant) ?? []).slice(0, perTenant).forEach((sample, si) => {
      probes.push({ name: `${entity}.${probe}#t${ti}.${si}`, entity, call: make(sample), ...(order ? { order } : {}) });
    });
  });
  return probes;
}

/**
 * List probes: one `repo.list(query)` page per sample, carrying the query's declared order so
 * parity compares ties up to their tie-breaker (MongoDB breaks them by `_id`, PostgreSQL by `id`).
 */
export function perTenantListProbes(
  inputs: ProbeInputs,
  entity: string,
  probe: string,
  query: (sample: Sample) => ListQuery<Entity>,
  perTenant = 1,
): OutputProbe[] {
  const grouped = samplesByTenant(inputs, entity);
  const probes: OutputProbe[] = [];
  inputs.tenants.forEach((tenant, ti) => {
    (grouped.get(tenant) ?? []).slice(0, perTenant).forEach((sample, si) => {
      const q = query(sample);
      probes.push({ name: `${entity}.${probe}#t${ti}.${si}`, entity, order: q.order ?? 'default', call: (repo, ctx) => items(repo.list(ctx, q)) });
    });
  });
  return probes;
}

/** Page items only: a cursor names its backend, the items must not differ. */
export const items = async (page: Promise<{ items: unknown[] }>) => (await page).items;


/**
 * One probe asking the same list question for each of `params` (all pages, `pageSize` at a time,
 * at most `cap` items each), answering the array of the lists. Every query must use one declared
 * order, which the probe carries so parity compares ties up to their tie-breaker.
 *
 * @example
 * multiListProbe('tag ofArtifact(digest)', 'tag', digests, (artifactDigest) => ({ where: { artifactDigest }, order: 'byArtifact' }), { pageSize: 2 });
 */
export function multiListProbe<P>(
  name: string,
  entity: string,
  params: readonly P[],
  query: (param: P) => Omit<ListQuery<Entity>, 'after' | 'limit'>,
  options: { readonly pageSize: number; readonly cap?: number },
): OutputProbe {
  const queries = params.map(query);
  const orders = new Set(queries.map((q) => q.order ?? 'default'));
  if (orders.size > 1) throw new Error(`probe ${name}: its queries use several orders (${[...orders].join(', ')})`);
  return {
    name,
    entity,
    order: [...orders][0] ?? 'default',
    call: async (repo, ctx) => {
      const out: unknown[] = [];
      for (const q of queries) out.push(await listAll(repo, ctx, q, options));
      return out;
    },
  };
}

/** Distinct values of `pick` over sampled rows, first seen first, at most `max` (probe parameters). */
export function distinctValues<T>(rows: readonly Record<string, unknown>[] | undefined, pick: (r: Record<string, unknown>) => T | null | undefined, max: number): T[] {
  const out = new Map<string, T>();
  for (const r of rows ?? []) {
    const v = pick(r);
    if (v === null || v === undefined) continue;
    const k = JSON.stringify(v, (_k, x) => (x instanceof Date ? x.toISOString() : x));
    if (!out.has(k)) out.set(k, v);
    if (out.size >= max) break;
  }
  return [...out.values()];
}
