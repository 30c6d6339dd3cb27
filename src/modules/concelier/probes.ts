import type { Entity } from '../../interfaces/entity-spec.js';
import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { EntityRepository, ListQuery } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';

/**
 * Concelier's output-parity probes: every lookup AdvisoryLookup / AdvisoryImporter makes, with
 * parameters taken from the legacy sample (so they hit real rows), run on both stores. Lists are
 * read page by page with small pages (paging itself is compared) up to a cap; every order ends on a
 * natural key, so a cap never cuts a tie group.
 */

const PER_PROBE = 5;
const CAP = 200;

async function pages(repo: EntityRepository<Entity>, ctx: TenantContext, query: ListQuery<Entity>, pageSize: number): Promise<unknown[]> {
  const out: unknown[] = [];
  let after: string | null = null;
  do {
    const page: { items: Entity[]; next: string | null } = await repo.list(ctx, { ...query, after, limit: pageSize });
    out.push(...page.items);
    after = page.next;
  } while (after && out.length < CAP);
  return out.slice(0, CAP);
}

/** Distinct values (first seen order, at most PER_PROBE) of `pick` over a sample. */
function distinct<T>(rows: readonly Record<string, unknown>[] | undefined, pick: (r: Record<string, unknown>) => T | null | undefined): T[] {
  const out = new Map<string, T>();
  for (const r of rows ?? []) {
    const v = pick(r);
    if (v === null || v === undefined) continue;
    const k = JSON.stringify(v, (_k, x) => (x instanceof Date ? x.toISOString() : x));
    if (!out.has(k)) out.set(k, v);
    if (out.size >= PER_PROBE) break;
  }
  return [...out.values()];
}

function multi(name: string, entity: string, params: readonly unknown[], call: (repo: EntityRepository<Entity>, ctx: TenantContext, p: never) => Promise<unknown>): OutputProbe {
  return {
    name,
    entity,
    call: async (repo, ctx) => {
      const out: unknown[] = [];
      for (const p of params) out.push(await call(repo, ctx, p as never));
      return out;
    },
  };
}

/**
 * @example
 * const probes = concelierProbes({ tenants, samples, now });
 */
export function concelierProbes(inputs: ProbeInputs): OutputProbe[] {
  const advisories = inputs.samples.get('advisory');
  const aliases = inputs.samples.get('alias');
  const affected = inputs.samples.get('affected');
  const raws = inputs.samples.get('advisory_raw');

  const advisoryKeys = distinct(advisories, (a) => a.advisoryKey as string);
  // Both directions: primary ids (GO-..., RUSTSEC-...) and aliases (CVE-..., GHSA-...).
  const aliasValues = [...distinct(aliases, (a) => (a.isPrimary ? (a.alias as string) : null)), ...distinct(aliases, (a) => (a.isPrimary ? null : (a.alias as string)))];
  const advisoryRefs = distinct(aliases, (a) => ({ sourceKey: a.sourceKey as string, advisoryKey: a.advisoryKey as string }));
  const packages = distinct(affected, (a) => (a.ecosystem && a.packageName ? { ecosystem: a.ecosystem as string, packageName: a.packageName as string } : null));
  const since = distinct(advisories, (a) => a.modifiedAt as Date).slice(0, 3);
  since.push(new Date(inputs.now.getTime() - 30 * 86_400_000));
  const severities = distinct(advisories, (a) => a.severity as string | null);
  const rawRefs = distinct(raws, (r) => (r.advisoryKey ? { sourceKey: r.sourceKey as string, advisoryKey: r.advisoryKey as string } : null));

  return [
    multi('advisory byId(advisoryKey)', 'advisory', advisoryKeys, (repo, ctx, advisoryKey: string) => pages(repo, ctx, { where: { advisoryKey } as never, order: 'byKey' }, 2)),
    multi('advisory modifiedSince(t)', 'advisory', since, (repo, ctx, t: Date) => pages(repo, ctx, { order: 'modified', range: { field: 'modifiedAt', gte: t } }, 50)),
    multi('advisory bySeverity(severity) [generated column]', 'advisory', severities, (repo, ctx, severity: string) => pages(repo, ctx, { where: { severity } as never, order: 'default' }, 25)),
    multi('alias byAlias(alias) [either direction]', 'alias', aliasValues, (repo, ctx, alias: string) => pages(repo, ctx, { where: { alias } as never, order: 'default' }, 2)),
    multi('alias ofAdvisory(sourceKey, advisoryKey)', 'alias', advisoryRefs, (repo, ctx, ref: object) => pages(repo, ctx, { where: ref as never, order: 'byAdvisory' }, 2)),
    multi('affected byPackage(ecosystem, packageName)', 'affected', packages, (repo, ctx, pkg: object) => pages(repo, ctx, { where: pkg as never, order: 'default' }, 3)),
    multi('advisory_raw current(sourceKey, advisoryKey)', 'advisory_raw', rawRefs, (repo, ctx, ref: object) => pages(repo, ctx, { where: { ...ref, supersededAt: null } as never, order: 'default' }, 2)),
  ];
}
