import { MISMATCH_KINDS, type EntityDataReport, type ProbeReport, type VerifyReport } from './report-types.js';
import { escapeXml as x } from './text-escape.js';

/**
 * The parity report for CI: JUnit XML with one testcase per entity's data parity and one per
 * output probe and tenant. Failures carry the samples as text; tier C entities are `skipped`.
 *
 * @example
 * writeFileSync('reports/parity-authority.junit.xml', renderJunit(report));
 */
export function renderJunit(report: VerifyReport): string {
  const m = x(report.module);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const data = report.data.map(dataCase);
  const probes = report.output.probes.map(probeCase);
  const dataFailures = report.data.filter((d) => d.compared && d.mismatches > 0).length;
  const dataSkipped = report.data.filter((d) => !d.compared).length;
  const probeFailures = report.output.probes.filter((p) => p.status === 'mismatch').length;
  const probeSkipped = report.output.probes.filter((p) => p.status === 'inFlight').length;
  const probeErrors = report.output.probes.filter((p) => p.status === 'error').length;
  const dataMs = Object.values(report.timings.dataMs).reduce((a, b) => a + b, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${m} parity" tests="${data.length + probes.length}" failures="${dataFailures + probeFailures}" errors="${probeErrors}" skipped="${dataSkipped + probeSkipped}" time="${seconds(report.timings.durationMs)}">`,
    `  <testsuite name="${m} data parity" tests="${data.length}" failures="${dataFailures}" errors="0" skipped="${dataSkipped}" time="${seconds(dataMs)}" timestamp="${x(report.timings.startedAt.replace(/Z$/, ''))}">`,
    `    <properties><property name="digest" value="${x(report.digest)}"/><property name="configFingerprint" value="${x(report.config.fingerprint)}"/></properties>`,
    ...data,
    '  </testsuite>',
    `  <testsuite name="${m} output parity" tests="${probes.length}" failures="${probeFailures}" errors="${probeErrors}" skipped="${probeSkipped}" time="${seconds(report.timings.outputMs)}">`,
    ...probes,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');

  function dataCase(d: EntityDataReport): string {
    const name = `${d.entity} (${d.collection} -> ${d.table})`;
    const head = `    <testcase classname="${m}.data" name="${x(name)}" time="${seconds(report.timings.dataMs[d.entity] ?? 0)}"`;
    if (!d.compared) return `${head}>\n      <skipped message="${x(d.note ?? 'not compared')}"/>\n    </testcase>`;
    const c = d.counts;
    const flying = d.inFlight ? ` inFlight=${d.inFlight.count} settled=${d.inFlight.settled}` : '';
    const out = `matched=${c.matched} missingInPostgres=${c.missingInPostgres} missingInMongo=${c.missingInMongo} differing=${c.differing} undecodable=${c.undecodable} quarantined=${c.quarantined} outsideWindow=${c.outsideWindow}${flying}`;
    if (d.mismatches === 0) return `${head}>\n      <system-out>${x(out)}</system-out>\n    </testcase>`;
    const lines: string[] = [out];
    for (const kind of MISMATCH_KINDS) {
      for (const s of d.samples[kind]) {
        lines.push(`${kind}: id=${s.id ?? '-'} legacyId=${s.legacyId ?? '-'}${s.reason ? ` reason=${s.reason}` : ''}`);
        for (const f of s.differences) lines.push(`  ${f.field}: mongo=${JSON.stringify(f.mongo)} postgres=${JSON.stringify(f.postgres)}`);
      }
    }
    return `${head}>\n      <failure type="mismatch" message="${x(`${d.mismatches} mismatch(es) in ${d.entity}`)}">${x(lines.join('\n'))}</failure>\n    </testcase>`;
  }

  function probeCase(p: ProbeReport): string {
    const name = `${p.entity} ${p.name}${p.tenant ? ` [tenant ${p.tenant}]` : ''}`;
    const head = `    <testcase classname="${m}.output.${x(p.entity)}" name="${x(name)}" time="0"`;
    if (p.status === 'match') return `${head}/>`;
    const d = p.difference;
    // Still changing under writes when the re-runs ended: undecided, not a failure.
    if (p.status === 'inFlight') return `${head}>\n      <skipped message="${x(`in flight under writes: ${d?.message ?? 'outputs kept changing'}`)}"/>\n    </testcase>`;
    const lines = [d?.message ?? p.status];
    if (d?.onlyInMongo.length) lines.push(`only in MongoDB: ${d.onlyInMongo.join(', ')}`);
    if (d?.onlyInPostgres.length) lines.push(`only in PostgreSQL: ${d.onlyInPostgres.join(', ')}`);
    for (const f of d?.differences ?? []) lines.push(`${f.field}: mongo=${JSON.stringify(f.mongo)} postgres=${JSON.stringify(f.postgres)}`);
    if (d && (d.mongo !== null || d.postgres !== null)) lines.push(`mongo: ${JSON.stringify(d.mongo)}`, `postgres: ${JSON.stringify(d.postgres)}`);
    const tag = p.status === 'error' ? 'error' : 'failure';
    return `${head}>\n      <${tag} type="${p.status}" message="${x(d?.message ?? p.status)}">${x(lines.join('\n'))}</${tag}>\n    </testcase>`;
  }
}
