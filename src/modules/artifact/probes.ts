import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import { distinctValues, multiListProbe } from '../shared/probe-support.js';

/**
 * Artifact's output-parity probes: the module's lookups with parameters from the legacy sample, run
 * on both stores, lists read in small pages up to a cap:
 * - SBOMs by format and by spec version (generated columns on PostgreSQL, `doc.*` paths on MongoDB),
 *   and the latest SBOM of a purl;
 * - tags and signatures of an artifact, artifacts of a repository and by purl.
 */

const PER_PROBE = 5;
const CAP = 200;

const distinct = <T>(rows: readonly Record<string, unknown>[] | undefined, pick: (r: Record<string, unknown>) => T | null | undefined): T[] => distinctValues(rows, pick, PER_PROBE);

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
    multiListProbe('sbom_document byFormat(bomFormat) [generated column]', 'sbom_document', formats, (bomFormat) => ({ where: { bomFormat } as never }), { pageSize: 25, cap: CAP }),
    multiListProbe('sbom_document bySpecVersion(specVersion) [generated column]', 'sbom_document', versions, (specVersion) => ({ where: { specVersion } as never }), { pageSize: 25, cap: CAP }),
    multiListProbe('sbom_document latest(artifactPurl)', 'sbom_document', purls, (artifactPurl) => ({ where: { artifactPurl } as never }), { pageSize: 1, cap: 1 }),
    multiListProbe('sbom_document versions(artifactPurl)', 'sbom_document', purls, (artifactPurl) => ({ where: { artifactPurl } as never }), { pageSize: 2, cap: CAP }),
    multiListProbe('tag ofArtifact(artifactDigest)', 'tag', digests, (artifactDigest) => ({ where: { artifactDigest } as never, order: 'byArtifact' }), { pageSize: 2, cap: CAP }),
    multiListProbe('signature ofArtifact(artifactDigest)', 'signature', digests, (artifactDigest) => ({ where: { artifactDigest } as never }), { pageSize: 2, cap: CAP }),
    multiListProbe('artifact inRepository(repository)', 'artifact', repositories, (repository) => ({ where: { repository } as never, order: 'byRepository' }), { pageSize: 3, cap: CAP }),
    multiListProbe('artifact byPurl(purl)', 'artifact', artifactPurls, (purl) => ({ where: { purl } as never }), { pageSize: 3, cap: CAP }),
  ];
}
