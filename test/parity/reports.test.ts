import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { reportDigest, runVerify, type VerifyReport } from '../../src/parity/index.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { oid, REF, spec, startParityBed, T1, userDoc, type ParityBed } from './parity-fixture.js';
import { checkWellFormedXml } from './xml-check.js';

const HOSTILE = `<script>alert("x")</script> & 'q' \u0001 ]]>`;
const HOSTILE_PG = '<img src=x onerror=alert(1)>';
const HOSTILE_REASON = '</td><script>bad()</script>';

describe('parity: report files', function () {
  this.timeout(120_000);
  let bed: ParityBed;
  let dir: string;
  let paths: readonly string[];
  let report: VerifyReport;
  let exitCode: number;

  before(async () => {
    bed = await startParityBed();
    dir = mkdtempSync(join(tmpdir(), 'parity-reports-'));
    const docs = [1, 2, 3].map((n) => userDoc(n, T1, n === 2 ? { displayName: HOSTILE } : {}));
    const quarantined = { ...userDoc(9, T1), [`odd<field>`]: 'x' };
    await bed.legacy('user', [...docs, quarantined]);
    await bed.convert('user', docs);
    await bed.recordJob('user', REF, [{ legacyId: oid(9), reason: HOSTILE_REASON, doc: quarantined }]);
    await bed.admin.query(`update ${tableOf(spec('user'))} set display_name = $2 where id = $1`, [idFromLegacyId('authority_users', oid(2)), HOSTILE_PG]);
    ({ report, paths, exitCode } = await runVerify({ config: bed.t.config, module: authorityModule, collections: ['authority_users'], outDir: dir }));
  });
  after(async () => {
    await bed?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the three formats under stable names and fails on the mismatch', () => {
    expect(paths.map((p) => basename(p))).to.deep.equal(['parity-authority-authority_users.json', 'parity-authority-authority_users.html', 'parity-authority-authority_users.junit.xml']);
    expect(exitCode).to.equal(1);
    expect(report.data[0]!.counts).to.include({ differing: 1, quarantined: 1 });
  });

  it('JSON: every count, the samples, the reference time, a config without secrets, and a digest that checks', () => {
    const json = JSON.parse(readFileSync(paths[0]!, 'utf8')) as VerifyReport;
    expect(json.digest).to.equal(report.digest);
    expect(reportDigest(json)).to.equal(json.digest);
    expect(json.data[0]!.referenceTime).to.equal(REF.toISOString());
    expect(json.data[0]!.samples.differing[0]!.differences[0]).to.deep.include({ field: 'displayName', mongo: HOSTILE, postgres: HOSTILE_PG });
    expect(json.config.postgres.url).to.not.match(/:[^:@/]+@/);
    expect(json.config.fingerprint).to.match(/^sha256:/);
    expect(json.summary).to.include({ ok: false, dataMismatches: 1 });
  });

  it('HTML: self-contained, with every hostile string escaped', () => {
    const html = readFileSync(paths[1]!, 'utf8');
    expect(html).to.match(/^<!doctype html>/);
    expect(html).to.not.match(/<script|<img|src=["']?http/i);
    // Field values are shown as JSON (strings quoted), then escaped.
    expect(html).to.include('&quot;&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt; &amp; &#39;q&#39; \\u0001 ]]&gt;&quot;');
    expect(html).to.include('&lt;/td&gt;&lt;script&gt;bad()&lt;/script&gt;');
    expect(html).to.include('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).to.include(report.digest);
    expect(html).to.include('Differing: 1');
  });

  it('JUnit: well-formed XML, one testcase per entity and per probe, failures carrying the samples', () => {
    const xml = readFileSync(paths[2]!, 'utf8');
    const elements = checkWellFormedXml(xml);
    expect(elements[0]).to.equal('testsuites');
    expect(elements.filter((e) => e === 'testcase').length).to.equal(report.data.length + report.output.probes.length);
    expect(elements.filter((e) => e === 'failure').length).to.equal(1 + report.output.probes.filter((p) => p.status === 'mismatch').length);
    expect(xml).to.include('displayName: mongo=');
    expect(xml).to.include('\\u0001');
  });

  it('the well-formedness check itself rejects broken XML', () => {
    for (const bad of ['<a><b></a></b>', '<a>&bogus;</a>', '<a>\u0001</a>', '<a x="<"/>', '<a/><b/>', '<a>', 'text<a/>', '<a x="1" x="2"/>']) {
      expect(() => checkWellFormedXml(bad), bad).to.throw();
    }
    expect(checkWellFormedXml('<?xml version="1.0"?>\n<a x="&amp;&#10;"><b/>t &lt; u</a>\n')).to.deep.equal(['a', 'b']);
  });
});
