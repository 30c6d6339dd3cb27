import { expect } from 'chai';
import { typedFromJson } from '../../src/codec/typed-json.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../src/codec/canonical.js';
import { runConversion } from '../../src/conversion/index.js';
import { corpusCandidate, corpusDir, parseExactJson } from '../../src/corpus/index.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { legacyDocument } from '../../src/modules/excititor/demo.js';
import { loadVexCorpus, readVexCorpus } from '../../src/modules/excititor/corpus-documents.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { factContentHash } from '../../src/modules/excititor/vuln-fact-rules.js';
import { runVerify } from '../../src/parity/index.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';

const root = corpusDir();

describe('Excititor: the real VEX corpus end to end (legacy MongoDB -> convert -> verify)', function () {
  this.timeout(600_000);
  if (!root) {
    it.skip(`skipped: the shared corpus is absent (looked in ${corpusCandidate()}; set STELLAOPS_CORPUS to its folder)`, () => undefined);
    return;
  }
  const tenant = randomUUID();
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let env: ConversionEnv;
  let files: ReturnType<typeof readVexCorpus>;

  before(async () => {
    env = await startConversionEnv('vex_corpus');
    files = readVexCorpus(root);
    const docs = [...loadVexCorpus(root, tenant, now)].map(([collection, spec, entity, legacyId]) => [collection, legacyDocument(spec, entity, legacyId)] as const);
    await loadLegacyDocuments(env.mongo.db, docs);
  });
  after(async () => env?.close());

  it('reads every OpenVEX, CSAF and CycloneDX document of the corpus exactly', () => {
    const formats = new Map<string, number>();
    for (const f of files) formats.set(f.format, (formats.get(f.format) ?? 0) + 1);
    expect([...formats.keys()].sort()).to.deep.equal(['csaf', 'cyclonedx', 'openvex']);
    expect(files.length).to.be.greaterThan(50);
  });

  it('keeps each document whole in the legacy collections ($schema, @context, timestamps as published)', async () => {
    const raw = await env.mongo.db.collection('vex.raw').find({ tenantId: tenant }).toArray();
    expect(raw).to.have.length(files.length);
    const bySource = new Map(raw.map((d) => [d.sourceUri as string, d]));
    for (const f of files) {
      const doc = bySource.get(`corpus:${f.relativePath}`);
      expect(doc, f.relativePath).to.not.equal(undefined);
      expect(canonicalJson(doc!.content), f.relativePath).to.equal(canonicalJson(f.document));
    }
  });

  it('converts every document with nothing quarantined, then verifies with 0 mismatches', async () => {
    const report = await runConversion({ config: env.config, module: excititorModule, tier: 'auto', referenceTime: now, progress: 'none', log: testLog });
    for (const c of report.collections) {
      expect(c.quarantined, `${c.collection} quarantined`).to.equal(0);
      expect(c.outcome, c.collection).to.be.oneOf(['completed', 'schema-only']);
    }
    expect(report.ok).to.equal(true);
    const counts = Object.fromEntries(report.collections.map((c) => [c.collection, c.converted]));
    expect(counts['vex.raw']).to.equal(files.length);
    expect(counts['vex.observations']).to.equal(files.length);
    expect(counts['vex.statements']).to.be.greaterThan(2000);

    const { report: verify, exitCode } = await runVerify({ config: env.config, module: excititorModule, outDir: null, referenceTime: now, log: testLog });
    expect(verify.summary.mismatches, JSON.stringify(verify.summary)).to.equal(0);
    expect(verify.summary.probes).to.be.greaterThan(0);
    expect(exitCode).to.equal(0);
  });

  it('stores every payload byte-identical to its source file after RFC 8785 canonicalisation', async () => {
    const canonicalSource = new Map(files.map((f) => [f.relativePath, canonicalJson(parseExactJson(readFileSync(join(root, f.relativePath), 'utf8'), f.relativePath))]));
    // The jsonb text PostgreSQL returns, parsed exactly (no number silently rounded on the way).
    const raw = await env.admin.query(`select source_uri, content::text as content from vex.raw_document where tenant_id = $1 order by source_uri collate "C"`, [tenant]);
    expect(raw.rows).to.have.length(files.length);
    for (const r of raw.rows) {
      const path = (r.source_uri as string).slice('corpus:'.length);
      // jsonb holds the typed JSON encoding: a document's own `$schema` is stored escaped (`$$schema`).
      expect(canonicalJson(typedFromJson(parseExactJson(r.content as string, `pg:${path}`))), path).to.equal(canonicalSource.get(path));
    }
    const facts = await env.admin.query(`select content_hash, payload::text as payload from vex.vuln_fact where tenant_id = $1`, [tenant]);
    const byHash = new Map(files.map((f) => [factContentHash(f.document), canonicalSource.get(f.relativePath)]));
    expect(facts.rows).to.have.length(byHash.size);
    for (const r of facts.rows) {
      const canonical = canonicalJson(typedFromJson(parseExactJson(r.payload as string, `pg:${r.content_hash}`)));
      expect(canonical, r.content_hash).to.equal(byHash.get(r.content_hash));
      expect(factContentHash(JSON.parse(canonical)), 'hash of the stored payload').to.equal(r.content_hash);
    }
  });
});
