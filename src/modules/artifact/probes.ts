import type { Entity } from '../../interfaces/entity-spec.js';
import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { EntityRepository, ListQuery } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';

/**
 * Artifact's output-parity probes: the module's lookups with parameters from the legacy sample, run
 * on both stores, lists read in small pages up to a cap:
 * - SBOMs by format and by spec version (generated columns on PostgreSQL, `doc.*` paths on MongoDB),
 *   and the latest SBOM of a purl;
 * - tags and signatures of an artifact, artifacts of a repository and by purl.
 */

const PER_PROBE = 5;
const CAP = 200;

async function pages(repo: EntityRepository<Entity>, ctx: TenantContext, query: ListQuery<Entity>, pageSize: number, cap = CAP): Promise<unknown[]> {
  const out: unknown[] = [];
  let after: string | null = null;
  do {
    const page: { items: Entity[]; next: string | null } = await repo.list(ctx, { ...query, after, limit: pageSize });
    out.push(...page.items);
    after = page.next;
  } while (after && out.length < cap);
  return out.slice(0, cap);
}

function distinct<T>(rows: readonly Record<string, unknown>[] | undefined, pick: (r: Record<string, unknown>) => T | null | undefined): T[] {
  const out = new Map<string, T>();
  for (const r of rows ?? []) {
    const v = pick(r);
    if (v === null || v === undefined) continue;
    const k = JSON.stringify(v);
    if (!out.has(k)) out.set(k, v);
    if (out.size >= PER_PROBE) break;
  }
  return [...out.values()];
}

function multi<P>(name: string, entity: string, params: readonly P[], call: (repo: EntityRepository<Entity>, ctx: TenantContext, p: P) => Promise<unknown>): OutputProbe {
  return {
    name,
    entity,
    call: async (repo, ctx) => {
      const out: unknown[] = [];
      for (const p of params) out.push(await call(repo, ctx, p));
      return out;
    },
  };
}

/**
 * @example
 * const probes = artifactProbes({ tenants, samples, now });
 */
export function artifactProbes(inputs: ProbeInputs): OutputProbe[] {
  const sboms = inputs.samples.get('sbom_document');
  const artifacts = inputs.samples.get('artifact');
  const formats = [...distinct(sboms, (s) => s.bomFormat as string | null), 'SPDX'];
  const versions = distinct(sboms, (s) => s.specVersion as string | null);
  const purls = distinct(sboms, (s) => s.artifactPurl as string);
  const digests = distinct(artifacts, (a) => a.digest as string);
  const repositories = distinct(artifacts, (a) => a.repository as string);
  const artifactPurls = distinct(artifacts, (a) => a.purl as string | null);

  return [
    multi('sbom_document byFormat(bomFormat) [generated column]', 'sbom_document', formats, (repo, ctx, bomFormat) => pages(repo, ctx, { where: { bomFormat } as never }, 25)),
    multi('sbom_document bySpecVersion(specVersion) [generated column]', 'sbom_document', versions, (repo, ctx, specVersion) => pages(repo, ctx, { where: { specVersion } as never }, 25)),
    multi('sbom_document latest(artifactPurl)', 'sbom_document', purls, (repo, ctx, artifactPurl) => pages(repo, ctx, { where: { artifactPurl } as never }, 1, 1)),
    multi('sbom_document versions(artifactPurl)', 'sbom_document', purls, (repo, ctx, artifactPurl) => pages(repo, ctx, { where: { artifactPurl } as never }, 2)),
    multi('tag ofArtifact(artifactDigest)', 'tag', digests, (repo, ctx, artifactDigest) => pages(repo, ctx, { where: { artifactDigest } as never, order: 'byArtifact' }, 2)),
    multi('signature ofArtifact(artifactDigest)', 'signature', digests, (repo, ctx, artifactDigest) => pages(repo, ctx, { where: { artifactDigest } as never }, 2)),
    multi('artifact inRepository(repository)', 'artifact', repositories, (repo, ctx, repository) => pages(repo, ctx, { where: { repository } as never, order: 'byRepository' }, 3)),
    multi('artifact byPurl(purl)', 'artifact', artifactPurls, (repo, ctx, purl) => pages(repo, ctx, { where: { purl } as never }, 3)),
  ];
}
