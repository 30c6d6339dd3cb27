import { folded, REPORT_CSS, scrollBox, timestamp } from './report-layout.js';
import { MISMATCH_KINDS, SAMPLE_KINDS, type DataSample, type EntityDataReport, type FieldDifference, type ProbeReport, type SampleKind, type VerifyReport } from './report-types.js';
import { escapeHtml as e } from './text-escape.js';

/**
 * The parity report for people: one self-contained HTML page (inline CSS, no script, no external
 * resource). The verdict and a summary line per entity come first; then the full counts, the
 * mismatch samples with their field-level differences, the output probes, and what the run used.
 * Wide tables scroll inside their own box, timestamps never wrap, and accounted lists (quarantine,
 * tier-B window) and the list of all probes are folded with their counts, so the page reads at
 * 1280 px whatever the data. Every value from data is escaped.
 *
 * @example
 * writeFileSync('reports/parity-authority.html', renderHtml(report));
 */
export function renderHtml(report: VerifyReport): string {
  const s = report.summary;
  const o = report.output;
  const failing = o.probes.filter((p) => p.status === 'mismatch' || p.status === 'error');
  const flying = o.probes.filter((p) => p.status === 'inFlight');
  const parts: string[] = [];
  parts.push(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parity report: ${e(report.module)}: ${s.ok ? 'PASS' : 'FAIL'}</title>
<style>${REPORT_CSS}</style></head><body>
<h1>Parity report: ${e(report.module)} <span id="verdict" class="verdict ${s.ok ? 'ok' : 'fail'}">${s.ok ? 'PASS' : 'FAIL'}</span></h1>
<p class="lead">${e(summaryLine(report))}</p>`);

  parts.push('<h2 id="summary">Summary</h2>');
  parts.push(
    scrollBox(`<table><thead><tr><th>Entity</th><th>Tier</th><th>Verdict</th><th>Matched</th><th>Mismatches</th><th>Accounted</th><th>MongoDB docs</th><th>PostgreSQL rows</th></tr></thead><tbody>
${report.data.map(summaryRow).join('\n')}
<tr><td><a href="#output">output probes</a></td><td></td>${verdictCell(failing.length === 0, failing.length ? `${failing.length} probe(s) differ` : 'OK')}<td class="n">${s.matchedProbes}</td><td class="n${failing.length ? ' bad' : ''}">${failing.length}</td><td class="n"></td><td class="n" colspan="2">${s.probes} probe(s), ${o.tenants.length} of ${o.tenantsFound} tenant(s)</td></tr>
</tbody></table>`),
  );

  parts.push('<h2 id="data">Data parity</h2>');
  parts.push(
    // Result right after the entity: it stays in view when the counts scroll.
    scrollBox(`<table><thead><tr><th>Entity</th><th>Result</th><th>Tier</th>
<th title="MongoDB documents">Mongo docs</th><th title="PostgreSQL rows">PG rows</th><th>Matched</th><th title="Missing in PostgreSQL">Missing in PG</th><th title="Extra in PostgreSQL (missing in MongoDB)">Extra in PG</th><th>Differing</th><th>Undecodable</th><th>Quarantined</th><th title="Tier-B documents outside the window">Outside window</th><th>Reference time</th><th>Collection &rarr; table</th></tr></thead><tbody>
${report.data.map(dataRow).join('\n')}
</tbody></table>`),
  );
  for (const d of report.data) parts.push(dataSamples(d));

  parts.push('<h2 id="output">Output parity</h2>');
  parts.push(`<p>Tenants probed: ${o.tenants.length} of ${o.tenantsFound} found in the legacy collections. Probes: ${s.matchedProbes} of ${s.probes} matched.</p>`);
  if (o.notes.length) parts.push(`<ul>${o.notes.map((n) => `<li class="muted">${e(n)}</li>`).join('')}</ul>`);
  if (failing.length) {
    parts.push('<h3>Mismatching probes</h3>');
    for (const p of failing) parts.push(probeDetail(p));
  }
  if (flying.length) {
    parts.push('<h3>Probes in flight (outputs still changing under writes; not mismatches)</h3>');
    for (const p of flying) parts.push(probeDetail(p));
  }
  const probeRows = o.probes.map(
    (p) =>
      `<tr><td>${e(p.entity)}</td><td><code>${e(p.name)}</code></td><td>${e(p.kind)}</td><td class="id"><code>${e(p.tenant ?? '-')}</code></td>` +
      `<td class="${p.status === 'match' ? '' : p.status === 'inFlight' ? 'muted' : 'bad'}">${e(p.status)}</td><td class="n">${e(String(p.mongo.count ?? 'error'))}</td>` +
      `<td class="n">${e(String(p.postgres.count ?? 'error'))}</td><td>${p.truncated ? 'capped' : ''}</td></tr>`,
  );
  parts.push(
    folded(
      'All probes',
      o.probes.length,
      scrollBox(`<table><thead><tr><th>Entity</th><th>Probe</th><th>Kind</th><th>Tenant</th><th>Result</th><th>MongoDB items</th><th>PostgreSQL items</th><th>Capped</th></tr></thead><tbody>${probeRows.join('\n')}</tbody></table>`),
    ),
  );

  parts.push('<h2 id="run">About this run</h2>');
  const r = report.redaction;
  parts.push(`<dl class="run">
<dt>Digest</dt><dd><code>${e(report.digest)}</code></dd>
<dt>Collections</dt><dd>${e(report.collections.join(', '))}</dd>
<dt>Started</dt><dd>${timestamp(report.timings.startedAt)} <span class="muted">(${e(String(report.timings.durationMs))} ms)</span></dd>
<dt>MongoDB</dt><dd>${e(`${report.config.mongo.kind} ${report.config.mongo.url} / ${report.config.mongo.database}`)}</dd>
<dt>PostgreSQL</dt><dd>${e(report.config.postgres.url)}</dd>
<dt>Options</dt><dd><code>${e(JSON.stringify(report.config.options))}</code></dd>
<dt>Config fingerprint</dt><dd><code>${e(report.config.fingerprint)}</code></dd>
<dt>Sensitive fields</dt><dd>${r.fields.length ? `${e(r.fields.join(', '))} <span class="muted">(shown as <code>sensitive:&lt;fingerprint&gt;</code>; equal values, equal fingerprints; ${r.fingerprints} shown)</span>` : '<span class="muted">none</span>'}</dd>
</dl>`);
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
    `${s.dataMismatches} data mismatch(es); ${s.matchedProbes} of ${s.probes} output probes matched, ${s.outputMismatches} mismatch(es)` +
    `${s.inFlight ? `; in flight under writes: ${s.inFlight.rows} row(s), ${s.inFlight.probes} probe(s)` : ''}; digest ${report.digest}`
  );
}

function verdictCell(ok: boolean, text: string, muted = false): string {
  return `<td class="${muted ? 'muted' : ok ? 'good' : 'bad'}">${e(text)}</td>`;
}

function summaryRow(d: EntityDataReport): string {
  const c = d.counts;
  const accounted = c.quarantined + c.outsideWindow;
  const verdict = !d.compared ? verdictCell(true, 'not compared (tier C)', true) : verdictCell(d.mismatches === 0, d.mismatches ? 'FAIL' : 'OK');
  return (
    `<tr><td><a href="#data-${e(d.entity)}">${e(d.entity)}</a></td><td title="${e(d.tierDescription ?? '')}">${e(d.tier)}</td>${verdict}` +
    `<td class="n">${c.matched}</td><td class="n${d.mismatches ? ' bad' : ''}">${d.mismatches}</td><td class="n">${accounted}</td>` +
    `<td class="n">${c.mongoDocuments}</td><td class="n">${c.postgresRows}</td></tr>`
  );
}

function dataRow(d: EntityDataReport): string {
  const c = d.counts;
  const n = (v: number, bad = false) => `<td class="n${bad && v > 0 ? ' bad' : ''}">${v}</td>`;
  const result = !d.compared ? `<td class="muted">not compared</td>` : d.mismatches ? `<td class="bad">${d.mismatches} mismatch(es)</td>` : '<td>OK</td>';
  const ref = d.referenceTime ? `${timestamp(d.referenceTime)} <span class="muted">(${e(d.referenceTimeSource ?? '')})</span>` : '<span class="muted">-</span>';
  return (
    `<tr><td><a href="#data-${e(d.entity)}">${e(d.entity)}</a></td>${result}<td title="${e(d.tierDescription ?? '')}">${e(d.tier)}</td>` +
    n(c.mongoDocuments) + n(c.postgresRows) + n(c.matched) + n(c.missingInPostgres, true) + n(c.missingInMongo, true) + n(c.differing, true) +
    n(c.undecodable, true) + n(c.quarantined) + n(c.outsideWindow) + `<td>${ref}</td><td>${e(d.collection)} &rarr; ${e(d.table)}</td></tr>`
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
  if (kinds.length === 0 && !d.inFlight) return '';
  const out = [`<h3 id="data-${e(d.entity)}">${e(d.entity)}</h3>`];
  if (d.inFlight) {
    const f = d.inFlight;
    out.push(`<p class="lead">Under writes: ${f.settled} row(s) differed while streaming and agreed on a re-check; ${f.count} still in flight (changing on every re-check; not mismatches).</p>`);
    if (f.samples.length) {
      const table = scrollBox(`<table><thead><tr><th>Id</th><th>Legacy id</th><th>Reason</th><th>Field differences</th><th>Rows</th></tr></thead><tbody>${f.samples.map(sampleRow).join('\n')}</tbody></table>`);
      out.push(folded('In flight', `${f.count}${f.samples.length < f.count ? ` (first ${f.samples.length} by id)` : ''}`, table));
    }
  }
  for (const kind of kinds) {
    const count = d.counts[kind];
    const shown = d.samples[kind].length;
    const table = scrollBox(`<table><thead><tr><th>Id</th><th>Legacy id</th><th>Reason</th><th>Field differences</th><th>Rows</th></tr></thead><tbody>${d.samples[kind].map(sampleRow).join('\n')}</tbody></table>`);
    const more = shown < count ? ` (first ${shown} by id)` : '';
    // Mismatches are the point of the page: shown. Accounted rows are evidence on demand: folded.
    if (MISMATCH_KINDS.includes(kind)) out.push(`<h4 class="warn">${e(KIND_TITLE[kind])}: ${count}${more}</h4>`, table);
    else out.push(folded(KIND_TITLE[kind], `${count}${more}`, table));
  }
  return out.join('\n');
}

function sampleRow(sample: DataSample): string {
  const docs = [sample.mongo ? `<b>MongoDB</b><pre>${e(pretty(sample.mongo))}</pre>` : '', sample.postgres ? `<b>PostgreSQL</b><pre>${e(pretty(sample.postgres))}</pre>` : ''].join('');
  return (
    `<tr><td class="id"><code>${e(sample.id ?? '-')}</code></td><td class="id"><code>${e(sample.legacyId ?? '-')}</code></td><td class="reason">${e(sample.reason ?? '')}</td>` +
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
  const lines = [`<h4>${e(p.entity)} <code>${e(p.name)}</code> <span class="muted">tenant <span class="id">${e(p.tenant ?? '-')}</span></span>: ${e(p.status)}</h4>`];
  if (d) {
    lines.push(`<p class="lead">${e(d.message)}</p>`);
    if (d.onlyInMongo.length) lines.push(`<p class="lead">Only in MongoDB: <code>${e(d.onlyInMongo.join(', '))}</code></p>`);
    if (d.onlyInPostgres.length) lines.push(`<p class="lead">Only in PostgreSQL: <code>${e(d.onlyInPostgres.join(', '))}</code></p>`);
    if (d.differences.length) lines.push(scrollBox(differencesTable(d.differences)));
    if (d.mongo !== null || d.postgres !== null) {
      lines.push(`<details><summary>outputs${d.index !== null ? ` at position ${d.index}` : ''}</summary><b>MongoDB</b><pre>${e(pretty(d.mongo))}</pre><b>PostgreSQL</b><pre>${e(pretty(d.postgres))}</pre></details>`);
    }
  }
  return lines.join('\n');
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}
