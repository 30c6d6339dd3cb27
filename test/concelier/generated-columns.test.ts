import { expect } from 'chai';
import pg from 'pg';
import type { Advisory } from '../../src/interfaces/concelier.js';
import type { EntityRepository } from '../../src/interfaces/repository.js';
import { deriveAdvisory } from '../../src/modules/concelier/advisory-derive.js';
import { concelierModule } from '../../src/modules/concelier/index.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const HOT = ['aliases', 'ecosystems', 'severity', 'severityScore'] as const;

/** Payloads at the edges of the generated-column rules. */
const PAYLOADS: Record<string, unknown>[] = [
  { id: 'A-1', modified: '2024-01-01T00:00:00Z' },
  { id: 'A-2', modified: '2024-01-01T00:00:00Z', aliases: [], affected: [], severity: [], database_specific: {} },
  { id: 'A-3', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-1', 'CVE-1', 'GHSA-x'], affected: [{ package: { ecosystem: '😀' } }, { package: { ecosystem: 'Ａ' } }, { package: { ecosystem: 'a' } }, { package: { ecosystem: 'a' } }] },
  { id: 'A-4', modified: '2024-01-01T00:00:00Z', aliases: null, affected: { package: { ecosystem: 'Go' } }, severity: { score: 'x' }, database_specific: { severity: 7 } },
  { id: 'A-5', modified: '2024-01-01T00:00:00Z', affected: [null, 'x', [], { package: ['Go'] }, { package: { ecosystem: null } }, { package: { ecosystem: 'npm', name: 'left-pad' } }], severity: ['CVSS', { score: 'y' }], database_specific: { severity: 'Moderate' } },
  { id: 'A-6', modified: '2024-01-01T00:00:00Z', severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }, { type: 'CVSS_V3', score: 'CVSS:3.1/AV:L' }], database_specific: { severity: { nested: true } } },
  { id: 'A-7', modified: '2024-01-01T00:00:00Z', severity: [{ score: 9.8 }], database_specific: { severity: null } },
];

describe('Concelier: generated columns agree with their TypeScript twins', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  before(async () => {
    t = await startTestRuntime('Postgres', { modules: [concelierModule] });
  });
  after(async () => t?.close());

  it('computes aliases, ecosystems, severity and severityScore as derive does, on edge payloads', async () => {
    const ctx = t.tenant();
    const repo = t.runtime.repository<Advisory>('Concelier', 'advisory');
    for (const payload of PAYLOADS) {
      const stored = await repo.insert(ctx, { sourceKey: 'edge', advisoryKey: payload.id as string, payload } as never);
      const read = (await repo.get(ctx, stored.id))!;
      const expected = deriveAdvisory({ payload });
      for (const f of HOT) expect(read[f], `${payload.id} ${f}`).to.deep.equal(expected[f]);
    }
  });

  it('declares them GENERATED ALWAYS ... STORED in PostgreSQL (the database computes them)', async () => {
    const admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
    try {
      const r = await admin.query(
        `select column_name, is_generated from information_schema.columns where table_schema = 'vuln' and table_name = 'advisory' and column_name = any($1) order by column_name`,
        [['aliases', 'ecosystems', 'severity', 'severity_score', 'modified_at', 'content_hash']],
      );
      expect(r.rows.map((x) => [x.column_name, x.is_generated])).to.deep.equal([
        ['aliases', 'ALWAYS'],
        ['content_hash', 'NEVER'],
        ['ecosystems', 'ALWAYS'],
        ['modified_at', 'NEVER'],
        ['severity', 'ALWAYS'],
        ['severity_score', 'ALWAYS'],
      ]);
      const c = await admin.query(`select col_description('vuln.advisory'::regclass, attnum) as d from pg_attribute where attrelid = 'vuln.advisory'::regclass and attname = 'modified_at'`);
      expect(c.rows[0].d).to.match(/truncated to the millisecond/);
    } finally {
      await admin.end();
    }
  });

  it('keeps the payload exact: sub-millisecond text, $-keys, astral characters, numeric text', async () => {
    const ctx = t.tenant();
    const repo: EntityRepository<Advisory> = t.runtime.repository<Advisory>('Concelier', 'advisory');
    const payload = { $schema: 'x', id: 'B-1', modified: '2024-01-01T00:00:00.123456789Z', summary: '𝔘 😀', database_specific: { 'a.b': 1.5 } };
    const stored = await repo.insert(ctx, { sourceKey: 'edge', advisoryKey: 'B-1', payload } as never);
    expect(stored.payload).to.deep.equal(payload);
    expect(stored.modifiedAt.toISOString()).to.equal('2024-01-01T00:00:00.123Z');
    const admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
    try {
      const r = await admin.query(`select payload ->> 'modified' as m, payload -> 'database_specific' ->> 'a.b' as n from vuln.advisory where id = $1`, [stored.id]);
      expect(r.rows[0]).to.deep.equal({ m: '2024-01-01T00:00:00.123456789Z', n: '1.5' });
    } finally {
      await admin.end();
    }
  });
});
