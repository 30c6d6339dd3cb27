import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import { distinctValues, multiListProbe } from '../shared/probe-support.js';

/**
 * Concelier's output-parity probes: every lookup AdvisoryLookup / AdvisoryImporter makes, with
 * parameters taken from the legacy sample (so they hit real rows), run on both stores. Lists are
 * read page by page with small pages (paging itself is compared) up to a cap; every order ends on a
 * natural key, so a cap never cuts a tie group.
 */

const PER_PROBE = 5;
const CAP = 200;

const distinct = <T>(rows: readonly Record<string, unknown>[] | undefined, pick: (r: Record<string, unknown>) => T | null | undefined): T[] => distinctValues(rows, pick, PER_PROBE);

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
    multiListProbe('advisory byId(advisoryKey)', 'advisory', advisoryKeys, (advisoryKey) => ({ where: { advisoryKey } as never, order: 'byKey' }), { pageSize: 2, cap: CAP }),
    multiListProbe('advisory modifiedSince(t)', 'advisory', since, (t) => ({ order: 'modified', range: { field: 'modifiedAt', gte: t } }), { pageSize: 50, cap: CAP }),
    multiListProbe('advisory bySeverity(severity) [generated column]', 'advisory', severities, (severity) => ({ where: { severity } as never, order: 'default' }), { pageSize: 25, cap: CAP }),
    multiListProbe('alias byAlias(alias) [either direction]', 'alias', aliasValues, (alias) => ({ where: { alias } as never, order: 'default' }), { pageSize: 2, cap: CAP }),
    multiListProbe('alias ofAdvisory(sourceKey, advisoryKey)', 'alias', advisoryRefs, (ref) => ({ where: ref as never, order: 'byAdvisory' }), { pageSize: 2, cap: CAP }),
    multiListProbe('affected byPackage(ecosystem, packageName)', 'affected', packages, (pkg) => ({ where: pkg as never, order: 'default' }), { pageSize: 3, cap: CAP }),
    multiListProbe('advisory_raw current(sourceKey, advisoryKey)', 'advisory_raw', rawRefs, (ref) => ({ where: { ...ref, supersededAt: null } as never, order: 'default' }), { pageSize: 2, cap: CAP }),
  ];
}
