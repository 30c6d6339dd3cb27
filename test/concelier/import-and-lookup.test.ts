import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Advisory, AdvisoryRaw, Affected, Alias } from '../../src/interfaces/concelier.js';
import { ValidationError } from '../../src/interfaces/errors.js';
import type { Backend } from '../../src/interfaces/modules.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import { AdvisoryImporter, AdvisoryLookup, concelierModule, type RawReference } from '../../src/modules/concelier/index.js';
import { listAll } from '../../src/interfaces/list-all.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const goAdvisory = (fixed = '1.2.3', extra: Record<string, unknown> = {}) => ({
  id: 'GO-2024-0001',
  modified: '2024-03-01T10:00:00.000500Z',
  published: '2024-02-01T00:00:00Z',
  aliases: ['CVE-2024-1111', 'GHSA-aaaa-bbbb-cccc'],
  affected: [
    { package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] },
    { package: { ecosystem: 'Go', name: 'stdlib' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.21.0' }, { fixed: '1.21.5' }] }] },
  ],
  database_specific: { score: 5.0 },
  ...extra,
});
const ghsaAdvisory = {
  id: 'GHSA-aaaa-bbbb-cccc',
  modified: '2024-03-01T10:00:00.000900Z', // same millisecond as GO-2024-0001: ordered by (source, key)
  aliases: ['CVE-2024-1111'],
  affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.19.0' }] }] }],
  database_specific: { severity: 'HIGH' },
};
const rustAdvisory = {
  id: 'RUSTSEC-2024-0400',
  modified: '2025-10-28T06:02:18Z',
  aliases: ['GHSA-x3f4-45xf-rjm7'],
  affected: [{ package: { ecosystem: 'crates.io', name: 'ruzstd' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0.7.0' }, { fixed: '0.7.3' }] }] }],
};

function raw(text: string, fetchedAt: Date): RawReference {
  const hex = createHash('sha256').update(text).digest('hex');
  return { uri: 'https://vuln.go.dev/ID/GO-2024-0001.json', storageKey: `raw/go-vulndb/${hex}`, digest: `sha256:${hex}`, sizeBytes: BigInt(Buffer.byteLength(text)), mediaType: 'application/vnd.osv+json', fetchedAt };
}

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Concelier import and lookups on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let ctx: TenantContext;
    let importer: AdvisoryImporter;
    let lookup: AdvisoryLookup;
    const repos = () => ({
      advisory: t.runtime.repository<Advisory>('Concelier', 'advisory'),
      alias: t.runtime.repository<Alias>('Concelier', 'alias'),
      affected: t.runtime.repository<Affected>('Concelier', 'affected'),
      advisoryRaw: t.runtime.repository<AdvisoryRaw>('Concelier', 'advisory_raw'),
    });

    before(async () => {
      t = await startTestRuntime(backend, { modules: [concelierModule] });
      ctx = t.tenant();
      importer = new AdvisoryImporter(repos());
      lookup = new AdvisoryLookup(repos());
      expect((await importer.import(ctx, 'go-vulndb', goAdvisory(), raw('v1', new Date('2024-03-01T10:00:00Z')))).outcome).to.equal('created');
      expect((await importer.import(ctx, 'ghsa', ghsaAdvisory)).outcome).to.equal('created');
      expect((await importer.import(ctx, 'rustsec', rustAdvisory)).outcome).to.equal('created');
    });
    after(async () => t?.close());

    it('is idempotent by content hash: the same advisory (any key order, 5 or 5.0) is a no-op', async () => {
      const before = await listAll(repos().alias, ctx, { order: 'byAdvisory' });
      const reordered = JSON.parse(JSON.stringify(goAdvisory()).replace('"score":5', '"score":5.0'));
      const { outcome, advisory } = await importer.import(ctx, 'go-vulndb', Object.fromEntries(Object.entries(reordered).reverse()), raw('v1', new Date('2024-03-01T10:00:00Z')));
      expect(outcome).to.equal('unchanged');
      expect(advisory.updatedAt.getTime()).to.equal(advisory.createdAt.getTime());
      expect((await listAll(repos().alias, ctx, { order: 'byAdvisory' })).map((a) => a.id)).to.deep.equal(before.map((a) => a.id));
    });

    it('looks up by id, and by alias in either direction', async () => {
      expect((await lookup.byId(ctx, 'GHSA-aaaa-bbbb-cccc')).map((a) => `${a.sourceKey}/${a.advisoryKey}`)).to.deep.equal(['ghsa/GHSA-aaaa-bbbb-cccc']);
      expect((await lookup.get(ctx, 'go-vulndb', 'GO-2024-0001'))?.aliases).to.deep.equal(['CVE-2024-1111', 'GHSA-aaaa-bbbb-cccc']);
      const key = (a: Advisory) => `${a.sourceKey}/${a.advisoryKey}`;
      expect((await lookup.byAlias(ctx, 'CVE-2024-1111')).map(key)).to.deep.equal(['ghsa/GHSA-aaaa-bbbb-cccc', 'go-vulndb/GO-2024-0001']);
      expect((await lookup.byAlias(ctx, 'GHSA-aaaa-bbbb-cccc')).map(key)).to.deep.equal(['ghsa/GHSA-aaaa-bbbb-cccc', 'go-vulndb/GO-2024-0001']);
      expect((await lookup.byAlias(ctx, 'GHSA-x3f4-45xf-rjm7')).map(key)).to.deep.equal(['rustsec/RUSTSEC-2024-0400']);
      expect((await lookup.byAlias(ctx, 'RUSTSEC-2024-0400')).map(key)).to.deep.equal(['rustsec/RUSTSEC-2024-0400']);
      expect(await lookup.byAlias(ctx, 'CVE-0000-0000')).to.deep.equal([]);
      expect(await lookup.equivalentIds(ctx, 'CVE-2024-1111')).to.deep.equal(['CVE-2024-1111', 'GHSA-aaaa-bbbb-cccc', 'GO-2024-0001']);
      expect(await lookup.equivalentIds(ctx, 'GO-2024-0001')).to.deep.equal(['CVE-2024-1111', 'GHSA-aaaa-bbbb-cccc', 'GO-2024-0001']);
      expect(await lookup.equivalentIds(ctx, 'GHSA-x3f4-45xf-rjm7')).to.deep.equal(['GHSA-x3f4-45xf-rjm7', 'RUSTSEC-2024-0400']);
    });

    it('looks up by package, keyset-paged', async () => {
      const all = await lookup.byPackage(ctx, 'Go', 'golang.org/x/net');
      expect(all.items.map((a) => `${a.sourceKey}/${a.advisoryKey}#${a.ordinal}`)).to.deep.equal(['ghsa/GHSA-aaaa-bbbb-cccc#0', 'go-vulndb/GO-2024-0001#0']);
      const first = await lookup.byPackage(ctx, 'Go', 'golang.org/x/net', { limit: 1 });
      const second = await lookup.byPackage(ctx, 'Go', 'golang.org/x/net', { limit: 1, after: first.next });
      expect([...first.items, ...second.items].map((a) => a.id)).to.deep.equal(all.items.map((a) => a.id));
      expect(second.next).to.equal(null);
      expect((await lookup.byPackage(ctx, 'crates.io', 'ruzstd')).items[0]?.ranges).to.deep.equal(rustAdvisory.affected[0]!.ranges);
    });

    it('lists modified since a time in (modifiedAt, source, key) order, deterministically paged', async () => {
      const since = new Date('2024-03-01T10:00:00.000Z');
      const full = await lookup.modifiedSince(ctx, since);
      expect(full.items.map((a) => a.advisoryKey)).to.deep.equal(['GHSA-aaaa-bbbb-cccc', 'GO-2024-0001', 'RUSTSEC-2024-0400']);
      const paged: string[] = [];
      let after: string | null = null;
      do {
        const page: { items: Advisory[]; next: string | null } = await lookup.modifiedSince(ctx, since, { limit: 1, after });
        paged.push(...page.items.map((a) => a.advisoryKey));
        after = page.next;
      } while (after);
      expect(paged).to.deep.equal(full.items.map((a) => a.advisoryKey));
      expect((await lookup.modifiedSince(ctx, new Date('2025-01-01T00:00:00Z'))).items.map((a) => a.advisoryKey)).to.deep.equal(['RUSTSEC-2024-0400']);
    });

    it('updates a changed advisory with the same id: row, aliases, affected entries, raw references', async () => {
      const changed = goAdvisory('1.2.4', { modified: '2024-04-01T00:00:00.999999Z', aliases: ['CVE-2024-1111'], affected: [goAdvisory().affected[0]] });
      changed.affected = [{ ...changed.affected[0]!, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.4' }] }] }];
      const { outcome, advisory } = await importer.import(ctx, 'go-vulndb', changed, raw('v2', new Date('2024-04-01T00:00:01Z')));
      expect(outcome).to.equal('updated');
      expect(advisory.payload).to.deep.equal(changed);
      expect(advisory.modifiedAt.toISOString()).to.equal('2024-04-01T00:00:00.999Z');
      expect(advisory.aliases).to.deep.equal(['CVE-2024-1111']);
      const ids = await listAll(repos().alias, ctx, { where: { sourceKey: 'go-vulndb', advisoryKey: 'GO-2024-0001' }, order: 'byAdvisory' });
      expect(ids.map((a) => [a.alias, a.isPrimary])).to.deep.equal([['CVE-2024-1111', false], ['GO-2024-0001', true]]);
      const affected = await listAll(repos().affected, ctx, { where: { sourceKey: 'go-vulndb', advisoryKey: 'GO-2024-0001' }, order: 'default' });
      expect(affected.map((a) => [a.ordinal, a.packageName, a.ranges])).to.deep.equal([[0, 'golang.org/x/net', changed.affected[0]!.ranges]]);
      const raws = await listAll(repos().advisoryRaw, ctx, { where: { sourceKey: 'go-vulndb' }, order: 'byFetched' });
      expect(raws.map((r) => [r.digest, r.supersededAt?.toISOString() ?? null])).to.deep.equal([
        [raw('v2', new Date()).digest, null],
        [raw('v1', new Date()).digest, '2024-04-01T00:00:01.000Z'],
      ]);
      // The GHSA link is gone from the GO advisory, still present through the GHSA advisory itself.
      expect((await lookup.byAlias(ctx, 'GHSA-aaaa-bbbb-cccc')).map((a) => a.advisoryKey)).to.deep.equal(['GHSA-aaaa-bbbb-cccc']);
      expect((await importer.import(ctx, 'go-vulndb', changed, raw('v2', new Date('2024-04-01T00:00:01Z')))).outcome).to.equal('unchanged');
    });

    it('refuses an advisory it cannot index exactly and writes nothing for it', async () => {
      let error: unknown;
      try {
        await importer.import(ctx, 'go-vulndb', { id: 'GO-2099-0001', modified: '2016-12-31T23:59:60Z', aliases: ['CVE-2099-1'] });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(ValidationError);
      expect((error as Error).message).to.match(/payload\.modified: .*leap second/);
      expect(await lookup.byAlias(ctx, 'CVE-2099-1')).to.deep.equal([]);
      expect(await lookup.aliasRows(ctx, 'GO-2099-0001')).to.deep.equal([]);
    });

    it('never answers for another tenant', async () => {
      const other = t.tenant();
      expect(await lookup.byAlias(other, 'CVE-2024-1111')).to.deep.equal([]);
      expect(await lookup.byId(other, 'GO-2024-0001')).to.deep.equal([]);
      expect((await lookup.byPackage(other, 'Go', 'golang.org/x/net')).items).to.deep.equal([]);
      expect((await lookup.modifiedSince(other, new Date(0))).items).to.deep.equal([]);
      expect((await importer.import(other, 'go-vulndb', goAdvisory())).outcome).to.equal('created');
    });
  });
}
