import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'bson';
import pg from 'pg';
import type { SbomDocument } from '../../src/interfaces/artifact.js';
import { ValidationError } from '../../src/interfaces/errors.js';
import type { Backend } from '../../src/interfaces/modules.js';
import { artifactDemo } from '../../src/modules/artifact/demo.js';
import { artifactModule, SbomImporter, sbomContentHash } from '../../src/modules/artifact/index.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const cdx = (n: number, extra: Record<string, unknown> = {}) => ({ bomFormat: 'CycloneDX', specVersion: '1.4', version: 1, serialNumber: `urn:uuid:${n}`, components: [{ name: 'lodash', version: '4.17.21' }], ...extra });

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Artifact SBOM documents on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    before(async () => {
      t = await startTestRuntime(backend, { modules: [artifactModule] });
    });
    after(async () => t?.close());
    const repo = () => t.runtime.repository<SbomDocument>('Artifact', 'sbom_document');

    it('derives bomFormat / specVersion from the document (generated columns) and filters by them', async () => {
      const ctx = t.tenant();
      const a = await repo().insert(ctx, { artifactPurl: 'pkg:npm/a@1', doc: cdx(1) } as never);
      await repo().insert(ctx, { artifactPurl: 'pkg:npm/b@1', doc: cdx(2, { specVersion: '1.6' }) } as never);
      await repo().insert(ctx, { artifactPurl: 'pkg:npm/c@1', doc: { spdxVersion: 'SPDX-2.3', name: 'not cyclonedx' } } as never);
      expect([a.bomFormat, a.specVersion]).to.deep.equal(['CycloneDX', '1.4']);
      expect(a.contentHash.equals(sbomContentHash(cdx(1)))).to.equal(true);
      const byFormat = await repo().list(ctx, { where: { bomFormat: 'CycloneDX' } as never });
      expect(byFormat.items.map((s) => s.artifactPurl)).to.deep.equal(['pkg:npm/a@1', 'pkg:npm/b@1']);
      expect((await repo().list(ctx, { where: { specVersion: '1.6' } as never })).items.map((s) => s.artifactPurl)).to.deep.equal(['pkg:npm/b@1']);
      expect((await repo().list(ctx, { where: { bomFormat: null } as never })).items.map((s) => s.artifactPurl)).to.deep.equal(['pkg:npm/c@1']);
    });

    it('refuses a document whose hot key has no portable text, and a hash that is not 32 bytes', async () => {
      const ctx = t.tenant();
      for (const input of [
        { artifactPurl: 'pkg:x/y', doc: cdx(3, { specVersion: 1.4 }) },
        { artifactPurl: 'pkg:x/y', doc: cdx(3, { bomFormat: { name: 'CycloneDX' } }) },
        { artifactPurl: 'pkg:x/y', doc: ['not', 'an', 'object'] },
        { artifactPurl: 'pkg:x/y', doc: cdx(3), contentHash: Buffer.alloc(16) },
      ]) {
        let error: unknown;
        try {
          await repo().insert(ctx, input as never);
        } catch (err) {
          error = err;
        }
        expect(error, JSON.stringify(input.doc)).to.be.instanceOf(ValidationError);
      }
      expect((await repo().list(ctx, {})).items).to.deep.equal([]);
    });

    it('imports idempotently by canonical content hash, and lists the latest version of a purl first', async () => {
      const ctx = t.tenant();
      const importer = new SbomImporter(repo());
      const first = await importer.import(ctx, 'pkg:npm/app@1', cdx(10));
      expect(first.outcome).to.equal('created');
      const reordered = JSON.parse('{"version":1.0,"components":[{"version":"4.17.21","name":"lodash"}],"specVersion":"1.4","serialNumber":"urn:uuid:10","bomFormat":"CycloneDX"}');
      const again = await importer.import(ctx, 'pkg:npm/other@9', reordered);
      expect(again).to.deep.include({ outcome: 'unchanged' });
      expect(again.document.id).to.equal(first.document.id);
      await new Promise((r) => setTimeout(r, 5));
      const second = await importer.import(ctx, 'pkg:npm/app@1', cdx(11));
      const versions = await repo().list(ctx, { where: { artifactPurl: 'pkg:npm/app@1' } as never });
      expect(versions.items.map((s) => s.id)).to.deep.equal([second.document.id, first.document.id]);
    });
  });
}

describe('Artifact: SBOM documents too large for the legacy store', function () {
  this.timeout(120_000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'corpus-big-'));
    mkdirSync(join(root, 'sbom', 'cyclonedx'), { recursive: true });
    const components = Array.from({ length: 120_000 }, (_, i) => ({ type: 'library', name: `component-${i}`, version: '1.0.0', description: 'x'.repeat(100) }));
    writeFileSync(join(root, 'sbom', 'cyclonedx', 'big.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components }));
    writeFileSync(join(root, 'sbom', 'cyclonedx', 'small.json'), JSON.stringify(cdx(1)));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('are reported by demo, naming the file and size, and left out (never truncated)', () => {
    const messages: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (messages.push(String(chunk)), true)) as typeof process.stderr.write;
    let docs: (readonly [string, unknown])[];
    try {
      docs = [...artifactDemo({ tenants: [randomUUID()], count: 0, seed: 1, now: new Date('2026-01-01T00:00:00Z'), corpusDir: root })];
    } finally {
      process.stderr.write = write;
    }
    expect(docs.map(([c, d]) => [c, (d as { artifactPurl: string }).artifactPurl])).to.deep.equal([['sbom_documents', 'pkg:generic/corpus/small']]);
    expect(messages.join('')).to.match(/sbom\/cyclonedx\/big\.json: legacy document of \d+ bytes exceeds MongoDB's 16 MiB limit/);
    expect(serialize(docs[0]![1] as never).length).to.be.lessThan(16 * 1024 * 1024);
  });

  it('are refused by the legacy store itself', async () => {
    const t = await startTestRuntime('Mongo', { modules: [artifactModule] });
    try {
      const components = Array.from({ length: 120_000 }, (_, i) => ({ name: `component-${i}`, description: 'x'.repeat(100) }));
      let error: unknown;
      try {
        await t.runtime.repository<SbomDocument>('Artifact', 'sbom_document').insert(t.tenant(), { artifactPurl: 'pkg:x/big', doc: { bomFormat: 'CycloneDX', components } } as never);
      } catch (err) {
        error = err;
      }
      expect((error as Error)?.message).to.match(/too large|larger than the maximum size/i);
    } finally {
      await t.close();
    }
  });
});

describe('Artifact: sbom_document is the seeds section 4 table', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  before(async () => {
    t = await startTestRuntime('Postgres', { modules: [artifactModule] });
  });
  after(async () => t?.close());

  it('has the generated columns and exactly the four indexes (plus the primary key)', async () => {
    const admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
    try {
      const cols = await admin.query(`select column_name, generation_expression from information_schema.columns where table_schema = 'artifact' and table_name = 'sbom_document' and is_generated = 'ALWAYS' order by column_name`);
      expect(cols.rows).to.deep.equal([
        { column_name: 'bom_format', generation_expression: "(doc ->> 'bomFormat'::text)" },
        { column_name: 'spec_version', generation_expression: "(doc ->> 'specVersion'::text)" },
      ]);
      const idx = await admin.query(`select indexname, indexdef from pg_indexes where schemaname = 'artifact' and tablename = 'sbom_document' order by indexname`);
      expect(idx.rows.map((r) => r.indexdef.replace(/ ON artifact\.sbom_document USING/, ' USING'))).to.deep.equal([
        'CREATE INDEX ix_sbom_doc_bomformat USING btree (tenant_id, bom_format)',
        'CREATE INDEX ix_sbom_doc_json_gin USING gin (doc jsonb_path_ops)',
        'CREATE INDEX ix_sbom_doc_tenant_artifact USING btree (tenant_id, artifact_purl, created_at DESC)',
        'CREATE UNIQUE INDEX sbom_document_pkey USING btree (id)',
        'CREATE UNIQUE INDEX ux_sbom_doc_hash USING btree (tenant_id, content_hash)',
      ]);
      const id = await admin.query(`select data_type from information_schema.columns where table_schema = 'artifact' and table_name = 'sbom_document' and column_name = 'id'`);
      expect(id.rows[0].data_type).to.equal('uuid');
    } finally {
      await admin.end();
    }
  });
});
