import { MISMATCH_KINDS, SAMPLE_KINDS, type DataSample, type EntityDataReport, type FieldDifference, type ProbeReport, type SampleKind, type VerifyReport } from './report-types.js';
import { escapeHtml as e } from './text-escape.js';

/**
 * The parity report for people: one self-contained HTML page (inline CSS, no script, no external
 * resource), a table of counts per entity, the mismatch samples with their field-level
 * differences, and the output probes. Every value from data is escaped.
 *
 * @example
 * writeFileSync('reports/parity-authority.html', renderHtml(report));
 */
export function renderHtml(report: VerifyReport): string {
  const s = report.summary;
  const parts: string[] = [];
  parts.push(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parity report: ${e(report.module)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}
h1 .badge{font-size:14px;padding:3px 10px;border-radius:10px;vertical-align:middle;color:#fff}
.ok{background:#1f7a3a}.fail{background:#b3261e}.warn{color:#8a5a00}
table{border-collapse:collapse;margin:8px 0 18px}th,td{border:1px solid #cfd5e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}td.bad{background:#fde8e7;font-weight:600}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px;margin:4px 0}code{font-size:12px}
details{margin:4px 0}.muted{color:#667085}
</style></head><body>
<h1>Parity report: ${e(report.module)} <span class="badge ${s.ok ? 'ok' : 'fail'}">${s.ok ? 'PASS' : 'FAIL'}</span></h1>
<p>${e(summaryLine(report))}</p>
<table><tbody>
<tr><th>Digest</th><td><code>${e(report.digest)}</code></td></tr>
<tr><th>Collections</th><td>${e(report.collections.join(', '))}</td></tr>
<tr><th>Started</th><td>${e(report.timings.startedAt)} (${e(String(report.timings.durationMs))} ms)</td></tr>
<tr><th>MongoDB</th><td>${e(`${report.config.mongo.kind} ${report.config.mongo.url} / ${report.config.mongo.database}`)}</td></tr>
<tr><th>PostgreSQL</th><td>${e(report.config.postgres.url)}</td></tr>
<tr><th>Options</th><td><code>${e(JSON.stringify(report.config.options))}</code></td></tr>
<tr><th>Config fingerprint</th><td><code>${e(report.config.fingerprint)}</code></td></tr>
</tbody></table>`);

  parts.push('<h2>Data parity</h2>');
  parts.push(`<table><thead><tr><th>Entity</th><th>Collection &rarr; table</th><th>Tier</th><th>Reference time</th>
<th>MongoDB docs</th><th>PostgreSQL rows</th><th>Matched</th><th>Missing in PostgreSQL</th><th>Extra in PostgreSQL</th><th>Differing</th><th>Undecodable</th><th>Quarantined</th><th>Outside window</th><th>Result</th></tr></thead><tbody>`);
  for (const d of report.data) parts.push(dataRow(d));
  parts.push('</tbody></table>');
  for (const d of report.data) parts.push(dataSamples(d));

  parts.push('<h2>Output parity</h2>');
  const o = report.output;
  parts.push(`<p>Tenants probed: ${o.tenants.length} of ${o.tenantsFound} found in the legacy collections. Probes: ${s.matchedProbes} of ${s.probes} matched.</p>`);
  if (o.notes.length) parts.push(`<ul>${o.notes.map((n) => `<li class="muted">${e(n)}</li>`).join('')}</ul>`);
  const failing = o.probes.filter((p) => p.status !== 'match');
  if (failing.length) {
    parts.push('<h3>Mismatching probes</h3>');
    for (const p of failing) parts.push(probeDetail(p));
  }
  parts.push(`<details${failing.length ? '' : ' open'}><summary>All probes (${o.probes.length})</summary>
<table><thead><tr><th>Entity</th><th>Probe</th><th>Kind</th><th>Tenant</th><th>Result</th><th>MongoDB items</th><th>PostgreSQL items</th><th>Truncated</th></tr></thead><tbody>`);
  for (const p of o.probes) {
    parts.push(
      `<tr><td>${e(p.entity)}</td><td><code>${e(p.name)}</code></td><td>${e(p.kind)}</td><td><code>${e(p.tenant ?? '-')}</code></td>` +
        `<td class="${p.status === 'match' ? '' : 'bad'}">${e(p.status)}</td><td class="n">${e(String(p.mongo.count ?? 'error'))}</td>` +
        `<td class="n">${e(String(p.postgres.count ?? 'error'))}</td><td>${p.truncated ? 'yes' : ''}</td></tr>`,
    );
  }
  parts.push('</tbody></table></details>');
  parts.push('</body></html>\n');
  return parts.join('\n');
}

/**
 * The one-line summary the CLI prints and the page repeats.
 *
 * @example
 * summaryLine(report); // 'Authority parity: OK: 10 of 10 entities compared, 528 rows matched, ...'
 */
export function summaryLine(report: VerifyReport): string {
  const s = report.summary;
  const tierC = s.entities - s.comparedEntities;
  return (
    `${report.module} parity: ${s.ok ? 'OK' : 'FAILED'}: ${s.comparedEntities} of ${s.entities} entities compared` +
    `${tierC ? ` (${tierC} tier C not compared)` : ''}, ${s.matchedRows} rows matched, ${s.accountedRows} accounted (quarantine / tier window), ` +
    `${s.dataMismatches} data mismatch(es); ${s.matchedProbes} of ${s.probes} output probes matched, ${s.outputMismatches} mismatch(es); digest ${report.digest}`
  );
}

function dataRow(d: EntityDataReport): string {
  const c = d.counts;
  const n = (v: number, bad = false) => `<td class="n${bad && v > 0 ? ' bad' : ''}">${v}</td>`;
  const result = !d.compared ? `<td class="muted">not compared</td>` : d.mismatches ? `<td class="bad">${d.mismatches} mismatch(es)</td>` : '<td>OK</td>';
  const ref = d.referenceTime ? `${e(d.referenceTime)} <span class="muted">(${e(d.referenceTimeSource ?? '')})</span>` : '<span class="muted">-</span>';
  return (
    `<tr><td><a href="#data-${e(d.entity)}">${e(d.entity)}</a></td><td>${e(d.collection)} &rarr; ${e(d.table)}</td>` +
    `<td title="${e(d.tierDescription ?? '')}">${e(d.tier)}</td><td>${ref}</td>` +
    n(c.mongoDocuments) + n(c.postgresRows) + n(c.matched) + n(c.missingInPostgres, true) + n(c.missingInMongo, true) + n(c.differing, true) +
    n(c.undecodable, true) + n(c.quarantined) + n(c.outsideWindow) + result + '</tr>'
  );
}

const KIND_TITLE: Readonly<Record<SampleKind, string>> = {
  missingInPostgres: 'Missing in PostgreSQL',
  missingInMongo: 'Extra in PostgreSQL (missing in MongoDB)',
  differing: 'Differing',
  undecodable: 'Undecodable and not quarantined',
  quarantined: 'Quarantined (accounted)',
  outsideWindow: 'Outside the tier-B window (accounted)',
};

function dataSamples(d: EntityDataReport): string {
  const kinds = SAMPLE_KINDS.filter((k) => d.samples[k].length > 0);
  if (!d.compared) return `<h3 id="data-${e(d.entity)}">${e(d.entity)}</h3><p class="muted">${e(d.note ?? 'not compared')}</p>`;
  if (kinds.length === 0) return '';
  const out = [`<h3 id="data-${e(d.entity)}">${e(d.entity)}</h3>`];
  for (const kind of kinds) {
    const count = d.counts[kind];
    const shown = d.samples[kind].length;
    out.push(`<h4 class="${MISMATCH_KINDS.includes(kind) ? 'warn' : 'muted'}">${e(KIND_TITLE[kind])}: ${count}${shown < count ? ` (first ${shown} by id)` : ''}</h4>`);
    out.push('<table><thead><tr><th>Id</th><th>Legacy id</th><th>Reason</th><th>Field differences</th><th>Rows</th></tr></thead><tbody>');
    for (const sample of d.samples[kind]) out.push(sampleRow(sample));
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

function sampleRow(sample: DataSample): string {
  const docs = [sample.mongo ? `<b>MongoDB</b><pre>${e(pretty(sample.mongo))}</pre>` : '', sample.postgres ? `<b>PostgreSQL</b><pre>${e(pretty(sample.postgres))}</pre>` : ''].join('');
  return (
    `<tr><td><code>${e(sample.id ?? '-')}</code></td><td><code>${e(sample.legacyId ?? '-')}</code></td><td>${e(sample.reason ?? '')}</td>` +
    `<td>${differencesTable(sample.differences)}</td><td>${docs ? `<details><summary>show</summary>${docs}</details>` : ''}</td></tr>`
  );
}

function differencesTable(diffs: readonly FieldDifference[]): string {
  if (!diffs.length) return '';
  const rows = diffs.map(
    (d) => `<tr><td><code>${e(d.field)}</code><br><span class="muted">${e(d.mongoField)} / ${e(d.column)}</span></td><td><code>${e(JSON.stringify(d.mongo))}</code></td><td><code>${e(JSON.stringify(d.postgres))}</code></td></tr>`,
  );
  return `<table><thead><tr><th>Field</th><th>MongoDB</th><th>PostgreSQL</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function probeDetail(p: ProbeReport): string {
  const d = p.difference;
  const lines = [`<h4>${e(p.entity)} <code>${e(p.name)}</code> <span class="muted">tenant ${e(p.tenant ?? '-')}</span>: ${e(p.status)}</h4>`];
  if (d) {
    lines.push(`<p>${e(d.message)}</p>`);
    if (d.onlyInMongo.length) lines.push(`<p>Only in MongoDB: <code>${e(d.onlyInMongo.join(', '))}</code></p>`);
    if (d.onlyInPostgres.length) lines.push(`<p>Only in PostgreSQL: <code>${e(d.onlyInPostgres.join(', '))}</code></p>`);
    lines.push(differencesTable(d.differences));
    if (d.mongo !== null || d.postgres !== null) {
      lines.push(`<details><summary>outputs${d.index !== null ? ` at position ${d.index}` : ''}</summary><b>MongoDB</b><pre>${e(pretty(d.mongo))}</pre><b>PostgreSQL</b><pre>${e(pretty(d.postgres))}</pre></details>`);
    }
  }
  return lines.join('\n');
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}
