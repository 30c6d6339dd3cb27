import { expect } from 'chai';
import { typedFromJson } from '../../src/codec/typed-json.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'bson';
import pg from 'pg';
import { canonicalJson } from '../../src/codec/canonical.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { PersistenceConfig } from '../../src/config/persistence-config.js';
import { runConversion } from '../../src/conversion/index.js';
import { corpusCandidate, corpusDir, corpusRelativePath, listCorpusFiles, parseExactJson, readCorpusJson, readCorpusText } from '../../src/corpus/index.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { connectMongo, type MongoDataSource } from '../../src/mongo/mongo-data-source.js';
import { artifactModule } from '../../src/modules/artifact/index.js';
import { corpusSbomPurl } from '../../src/modules/artifact/demo.js';
import { sbomContentHash } from '../../src/modules/artifact/sbom-derive.js';
import { concelierModule } from '../../src/modules/concelier/index.js';
import { readCorpusAdvisories } from '../../src/modules/concelier/demo.js';
import { runVerify } from '../../src/parity/run-verify.js';
import { createTestDatabase, mongoTarget, type TestDatabase } from '../setup/environment.js';

/**
 * The real corpus end to end (issue 6): every OSV advisory and CycloneDX SBOM of ../shared/corpus is
 * loaded into the legacy collections in the legacy shape (through the modules' demo path), converted
 * by the conversion engine, verified by the parity engine with 0 mismatches, and every JSONB payload
 * is compared with its source file after RFC 8785 canonicalisation.
 */

const TENANT = 'c0ffee00-0000-4000-8000-00000000c0de';
const NOW = new Date('2026-02-01T00:00:00.000Z');
const corpus = corpusDir();
const quiet = (line: string) => {
  if (process.env.CORPUS_TEST_LOG) process.stderr.write(`    | ${line}\n`);
};

describe('Concelier and Artifact: the real corpus, seed -> convert -> verify', function () {
  this.timeout(900_000);
  let db: TestDatabase;
  let folder: string | null = null;
  let mongo: MongoDataSource;
  let config: PersistenceConfig;
  let admin: pg.Client;
  const seeded = new Map<string, number>();

  before(async function () {
    if (!corpus) {
      process.stdout.write(`    (skipped: no corpus at ${corpusCandidate()}; set STELLAOPS_CORPUS to the folder of ../shared/corpus)\n`);
      this.skip();
    }
    db = await createTestDatabase('corpus_vuln');
    const target = await mongoTarget();
    folder = target.url === 'memory:' ? mkdtempSync(join(tmpdir(), 'stellaops-corpus-')) : null;
    const mongoUrl = folder ? `memory:${folder}` : target.url;
    const mongoDatabase = `t_${randomBytes(4).toString('hex')}`;
    config = loadConfig({ env: { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl, MONGO_URL: mongoUrl, MONGO_DATABASE: mongoDatabase, PERSISTENCE_CONCELIER: 'Postgres', PERSISTENCE_ARTIFACT: 'Postgres' } });
    mongo = await connectMongo(mongoUrl, mongoDatabase);
    admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    // Seed: the modules' demo path with the corpus (count 2 generated documents besides it).
    for (const module of [concelierModule, artifactModule] as ModuleDefinition[]) {
      const byCollection = new Map<string, Document[]>();
      for (const [collection, doc] of module.demo!({ tenants: [TENANT], count: 2, seed: 6, now: NOW, corpusDir: corpus })) {
        byCollection.set(collection, [...(byCollection.get(collection) ?? []), doc]);
      }
      for (const [collection, docs] of byCollection) {
        for (let i = 0; i < docs.length; i += 500) await mongo.db.collection(collection).insertMany(docs.slice(i, i + 500));
        seeded.set(collection, docs.length);
      }
    }
  });

  after(async () => {
    await admin?.end().catch(() => undefined);
    await mongo?.close().catch(() => undefined);
    if (folder) rmSync(folder, { recursive: true, force: true });
    await db?.drop();
  });

  it('seeds every corpus advisory (one raw reference per file) and every SBOM in the legacy shape', async () => {
    const files = listCorpusFiles('advisories');
    const advisories = readCorpusAdvisories(corpus!);
    expect(advisories.length, 'every advisory file reads exactly').to.equal(files.length);
    const keys = new Set(advisories.map((a) => `${a.sourceKey}/${a.plan.advisory.advisoryKey}`));
    const raw = await mongo.db.collection('advisory_raw').countDocuments({ storageKey: { $regex: '^corpus/' } });
    expect(raw).to.equal(files.length);
    const adv = await mongo.db.collection('advisory').countDocuments({ sourceKey: { $in: [...new Set(advisories.map((a) => a.sourceKey))] } });
    expect(adv).to.equal(keys.size);
    const sboms = await mongo.db.collection('sbom_documents').countDocuments({ artifactPurl: { $not: { $regex: '^pkg:oci/' } } });
    expect(sboms).to.equal(listCorpusFiles('sbom').length);
    // The legacy shape: string tenant, BSON Date hot fields, the payload as an embedded document.
    const one = (await mongo.db.collection('advisory').findOne({ advisoryKey: 'RUSTSEC-2024-0400' }))!;
    expect(one.tenantId).to.equal(TENANT);
    expect(one.modified).to.be.instanceOf(Date);
    expect(one.payload.id).to.equal('RUSTSEC-2024-0400');
  });

  it('converts both modules with nothing quarantined', async () => {
    for (const module of ['Concelier', 'Artifact']) {
      const report = await runConversion({ config, module, referenceTime: NOW, progress: 'none', log: quiet });
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      for (const c of report.collections) {
        expect(c.quarantined, c.jobId).to.equal(0);
        if (c.tier === 'C') expect(c.outcome, c.jobId).to.equal('schema-only');
        else expect(c.converted + c.skipped, c.jobId).to.equal(seeded.get(c.collection) ?? 0);
      }
    }
  });

  it('verifies both modules with 0 mismatches (data and output parity)', async () => {
    for (const module of ['Concelier', 'Artifact'] as const) {
      const { report, exitCode } = await runVerify({ config, module, outDir: null, log: quiet });
      const bad = report.output.probes.filter((p) => p.status !== 'match').map((p) => `${p.name}: ${p.difference?.message ?? p.mongo.error ?? p.postgres.error}`);
      const badData = report.data.filter((d) => d.mismatches > 0).map((d) => `${d.entity}: ${JSON.stringify(d.counts)}`);
      expect([...badData, ...bad], module).to.deep.equal([]);
      expect(report.summary.mismatches).to.equal(0);
      expect(exitCode).to.equal(0);
      expect(report.summary.matchedProbes).to.equal(report.summary.probes);
      // The module's own lookups ran too (alias both ways, by package, modified since, SBOM by format...).
      const moduleProbes = new Set(report.output.probes.filter((p) => p.kind === 'module').map((p) => p.name));
      expect([...moduleProbes].sort(), module).to.deep.equal((module === 'Concelier' ? concelierModule : artifactModule).probes!({ tenants: [], samples: new Map(), now: NOW }).map((p) => p.name).sort());
    }
  });

  it('keeps every advisory payload identical to its source file after RFC 8785, and every file referenced', async () => {
    const advisories = readCorpusAdvisories(corpus!);
    const current = new Map<string, string>();
    for (const a of advisories) current.set(`${a.sourceKey}\u0000${a.plan.advisory.advisoryKey}`, a.rel);
    const rows = await admin.query(`select source_key, advisory_key, payload::text as payload, content_hash, modified_at from vuln.advisory where tenant_id = $1`, [TENANT]);
    const byKey = new Map(rows.rows.map((r) => [`${r.source_key}\u0000${r.advisory_key}`, r]));
    const raws = await admin.query(`select storage_key, digest, size_bytes::text as size, superseded_at from vuln.advisory_raw where tenant_id = $1 and storage_key like 'corpus/%'`, [TENANT]);
    const rawByKey = new Map(raws.rows.map((r) => [r.storage_key as string, r]));
    const differing: string[] = [];
    let compared = 0;
    for (const a of advisories) {
      const bytes = Buffer.from(readCorpusText(a.file), 'utf8');
      const ref = rawByKey.get(`corpus/${a.rel}`);
      expect(ref, a.rel).to.not.equal(undefined);
      expect([ref.digest, ref.size], a.rel).to.deep.equal([`sha256:${createHash('sha256').update(bytes).digest('hex')}`, String(bytes.length)]);
      const isCurrent = current.get(`${a.sourceKey}\u0000${a.plan.advisory.advisoryKey}`) === a.rel;
      expect(ref.superseded_at === null, `${a.rel} superseded`).to.equal(isCurrent);
      if (!isCurrent) continue;
      const row = byKey.get(`${a.sourceKey}\u0000${a.plan.advisory.advisoryKey}`);
      // payload::text read back through the exact parser: jsonb's numeric text must not lose anything either.
      const stored = canonicalJson(parseExactJson(row.payload, `vuln.advisory ${a.rel}`));
      const source = canonicalJson(readCorpusJson(a.file));
      if (stored !== source) differing.push(a.rel);
      expect(row.content_hash).to.equal(createHash('sha256').update(source).digest('hex'));
      compared++;
    }
    expect(differing).to.deep.equal([]);
    expect(compared).to.equal(current.size);
    expect(rows.rowCount).to.be.at.least(compared);
  });

  it('keeps every SBOM identical to its source file after RFC 8785, with the generated hot columns', async () => {
    const differing: string[] = [];
    for (const file of listCorpusFiles('sbom')) {
      const doc = readCorpusJson(file) as Record<string, unknown>;
      const r = await admin.query(`select doc::text as doc, bom_format, spec_version, artifact_purl from artifact.sbom_document where tenant_id = $1 and content_hash = $2`, [TENANT, sbomContentHash(doc)]);
      expect(r.rowCount, corpusRelativePath(file)).to.equal(1);
      const row = r.rows[0];
      // The jsonb holds the typed JSON encoding (a CycloneDX `$schema` key is stored escaped, `$$schema`).
      if (canonicalJson(typedFromJson(parseExactJson(row.doc, file))) !== canonicalJson(doc)) differing.push(corpusRelativePath(file));
      expect([row.bom_format, row.spec_version, row.artifact_purl]).to.deep.equal([doc.bomFormat ?? null, doc.specVersion ?? null, corpusSbomPurl(doc, file)]);
    }
    expect(differing).to.deep.equal([]);
  });

  it('answers the alias and package lookups from the converted corpus', async () => {
    const q = async (sql: string, params: unknown[]) => (await admin.query(sql, params)).rows;
    // GHSA -> RUSTSEC and back, through the alias table.
    expect(await q(`select source_key, advisory_key from vuln.alias where tenant_id = $1 and alias = $2 order by 1, 2`, [TENANT, 'GHSA-x3f4-45xf-rjm7'])).to.deep.equal([{ source_key: 'rustsec', advisory_key: 'RUSTSEC-2024-0400' }]);
    expect((await q(`select aliases from vuln.advisory where tenant_id = $1 and advisory_key = $2`, [TENANT, 'RUSTSEC-2024-0400']))[0].aliases).to.deep.equal(['GHSA-x3f4-45xf-rjm7']);
    expect((await q(`select count(*)::int as n from vuln.affected where tenant_id = $1 and ecosystem = 'crates.io' and package_name = 'ruzstd'`, [TENANT]))[0].n).to.be.greaterThan(0);
    // Sub-millisecond modified times: truncated hot key, exact text in the payload.
    const sub = await q(`select payload ->> 'modified' as text, modified_at from vuln.advisory where tenant_id = $1 and payload ->> 'modified' ~ '\\.\\d{4,}Z$' limit 1`, [TENANT]);
    expect(sub.length).to.equal(1);
    expect((sub[0].text as string).slice(0, 23)).to.equal((sub[0].modified_at as Date).toISOString().slice(0, 23));
  });
});
