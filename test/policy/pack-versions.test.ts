import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CoreTokens } from '../../src/container/tokens.js';
import type { RepositoryFactory } from '../../src/container/repository-factory.js';
import { PersistenceError, ValidationError } from '../../src/interfaces/errors.js';
import { ImmutableVersionError, type PackVersion } from '../../src/interfaces/policy.js';
import type { AuditRecord, EntityRepository } from '../../src/interfaces/repository.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import { packVersion } from '../../src/modules/policy/entities.js';
import { PackVersionService, packContentHash, policyModule } from '../../src/modules/policy/index.js';
import { ALL_BACKENDS } from '../contract/repository-contract.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

for (const backend of ALL_BACKENDS) {
  describe(`Policy pack versions (source of truth, immutable) on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let versions: EntityRepository<PackVersion>;
    let service: PackVersionService;
    const auditActions = async (ctx: TenantContext, id: string) => {
      const audit = t.runtime.repository<AuditRecord>('Policy', 'audit_log');
      return (await audit.list(ctx, { where: { entityId: id }, order: 'byEntity' })).items.map((a) => a.action);
    };

    before(async () => {
      t = await startTestRuntime(backend, { modules: [policyModule] });
      versions = t.runtime.repository<PackVersion>('Policy', 'pack_version');
      service = t.runtime.container.resolve(PackVersionService);
    });
    after(async () => t?.close());

    it('imports content once: the same content again returns the stored version and writes nothing', async () => {
      const ctx = t.tenant();
      const packId = randomUUID();
      const document = { kind: 'PolicyPack', spec: { defaultAction: 'warn', rules: [{ id: 'r1', when: { cvss: 7.5 } }] } };
      const first = await service.importVersion(ctx, { packId, schemaVersion: 1, document });
      expect(first.created).to.equal(true);
      expect(first.version.version).to.equal(1);
      expect(first.version.contentHash).to.equal(packContentHash(packId, 1, document));
      expect(first.version.contentHash).to.match(/^sha256:[0-9a-f]{64}$/);
      expect(first.version.importedBy).to.equal(ctx.actorId);
      // Same content, keys in another order and 7.50 spelled differently: the same canonical content.
      const reordered = { spec: { rules: [{ when: { cvss: 7.5 }, id: 'r1' }], defaultAction: 'warn' }, kind: 'PolicyPack' };
      const again = await service.importVersion(ctx, { packId, schemaVersion: 1, document: reordered });
      expect(again.created).to.equal(false);
      expect(again.version.id).to.equal(first.version.id);
      expect(again.version.updatedAt.getTime()).to.equal(first.version.updatedAt.getTime());
      expect((await versions.list(ctx, { where: { packId } })).items.map((v) => v.id)).to.deep.equal([first.version.id]);
      expect(await auditActions(ctx, first.version.id)).to.deep.equal(['insert']);
    });

    it('gives new content the next version number, and the same document in another pack is another version', async () => {
      const ctx = t.tenant();
      const packId = randomUUID();
      const v1 = await service.importVersion(ctx, { packId, schemaVersion: 1, document: { rules: ['a'] } });
      const v2 = await service.importVersion(ctx, { packId, schemaVersion: 1, document: { rules: ['a', 'b'] } });
      const v3 = await service.importVersion(ctx, { packId, schemaVersion: 2, document: { rules: ['a', 'b'] } });
      expect([v1, v2, v3].map((r) => [r.created, r.version.version])).to.deep.equal([[true, 1], [true, 2], [true, 3]]);
      expect((await service.latest(ctx, packId))?.id).to.equal(v3.version.id);
      const other = await service.importVersion(ctx, { packId: randomUUID(), schemaVersion: 1, document: { rules: ['a'] } });
      expect(other.created).to.equal(true);
      expect(other.version.version).to.equal(1);
      expect(other.version.contentHash).to.not.equal(v1.version.contentHash);
    });

    it('stores one version when the same content is imported concurrently', async () => {
      const ctx = t.tenant();
      const packId = randomUUID();
      const document = { rules: ['concurrent'] };
      const results = await Promise.all([0, 1, 2, 3].map(() => service.importVersion(ctx, { packId, schemaVersion: 1, document })));
      expect(new Set(results.map((r) => r.version.id)).size).to.equal(1);
      expect(results.filter((r) => r.created)).to.have.length(1);
      expect((await versions.list(ctx, { where: { packId } })).items).to.have.length(1);
    });

    it('numbers different content imported concurrently without gaps or clashes', async () => {
      const ctx = t.tenant();
      const packId = randomUUID();
      const results = await Promise.all([0, 1, 2].map((i) => service.importVersion(ctx, { packId, schemaVersion: 1, document: { rules: [`c${i}`] } })));
      expect(results.map((r) => r.version.version).sort()).to.deep.equal([1, 2, 3]);
    });

    it('keeps content hashes per tenant: the same import in another tenant is its own version', async () => {
      const a = t.tenant();
      const b = t.tenant();
      const packId = randomUUID();
      const ra = await service.importVersion(a, { packId, schemaVersion: 1, document: { shared: true } });
      const rb = await service.importVersion(b, { packId, schemaVersion: 1, document: { shared: true } });
      expect(rb.created).to.equal(true);
      expect(rb.version.id).to.not.equal(ra.version.id);
      expect(await service.byContentHash(b, ra.version.contentHash).then((v) => v?.id)).to.equal(rb.version.id);
    });

    it('changes only the review; any change of content is refused with a clear error and nothing is written', async () => {
      const ctx = t.tenant();
      const { version } = await service.importVersion(ctx, { packId: randomUUID(), schemaVersion: 1, document: { rules: ['x'] } });
      const reviewed = await service.review(ctx, version.id, { status: 'approved', reviewedBy: uuid(9), reviewedAt: new Date(Date.UTC(2026, 1, 1)) });
      expect(reviewed.status).to.equal('approved');

      const viaReview = await rejection(service.review(ctx, version.id, { document: { rules: ['tampered'] } } as never));
      expect(viaReview).to.be.instanceOf(ImmutableVersionError).and.instanceOf(PersistenceError);
      expect((viaReview as Error).message).to.equal(
        `Policy.pack_version ${version.id} is immutable: document cannot be changed (import a new version instead)`,
      );
      const viaUpdate = await rejection(service.update(ctx, version.id, { contentHash: 'sha256:00', version: 7, status: 'retired' }));
      expect(viaUpdate).to.be.instanceOf(ImmutableVersionError);
      expect((viaUpdate as ImmutableVersionError).fields).to.deep.equal(['version', 'contentHash']);

      // Restating unchanged content alongside a review change is not a change of content.
      const retired = await service.update(ctx, version.id, { document: { rules: ['x'] }, packId: version.packId, status: 'retired' });
      expect(retired.status).to.equal('retired');
      const stored = await versions.get(ctx, version.id);
      expect(stored!.document).to.deep.equal({ rules: ['x'] });
      expect(stored!.contentHash).to.equal(version.contentHash);
      expect(await auditActions(ctx, version.id)).to.deep.equal(['insert', 'update', 'update']);
    });

    it('refuses a change of content through the generic repository too, identically on every backend', async () => {
      const ctx = t.tenant();
      const { version } = await service.importVersion(ctx, { packId: randomUUID(), schemaVersion: 1, document: { rules: ['y'] } });
      const err = await rejection(versions.update(ctx, version.id, { document: { rules: ['tampered'] } } as never));
      expect(err).to.be.instanceOf(ValidationError);
      expect((err as Error).message).to.equal('Policy.pack_version.document: is immutable and cannot be changed by update');
      expect((await versions.get(ctx, version.id))!.document).to.deep.equal({ rules: ['y'] });
      const same = await versions.update(ctx, version.id, { document: { rules: ['y'] }, status: 'approved' } as never);
      expect(same.status).to.equal('approved');
    });

    it('refuses a document that cannot be stored exactly', async () => {
      const ctx = t.tenant();
      const err = await rejection(service.importVersion(ctx, { packId: randomUUID(), schemaVersion: 1, document: { bad: 'nul\u0000' } }));
      expect(err).to.be.instanceOf(ValidationError);
    });

    if (backend !== 'Mongo') {
      it('PostgreSQL refuses a change of content from any writer (trigger), and lets a review or an identical replay through', async () => {
        const ctx = t.tenant();
        const { version } = await service.importVersion(ctx, { packId: randomUUID(), schemaVersion: 1, document: { rules: ['pg'] } });
        const factory = t.runtime.container.get<RepositoryFactory>(CoreTokens.RepositoryFactory);
        const raw = factory.pgRepo<PackVersion>(packVersion);
        const err = await rejection(raw.update(ctx, version.id, { document: { rules: ['tampered'] }, schemaVersion: 3 }));
        expect(err).to.be.instanceOf(ValidationError);
        // The declared `immutable` fields refuse it before SQL; the trigger (below) refuses any other writer.
        expect((err as Error).message).to.equal('Policy.pack_version.schemaVersion: is immutable and cannot be changed by update');
        // The refused update's audit row went down with its transaction.
        expect(await auditActions(ctx, version.id)).to.deep.equal(['insert']);
        const ok = await raw.update(ctx, version.id, { status: 'approved' });
        expect(ok.document).to.deep.equal({ rules: ['pg'] });
        expect(await raw.applyReplica(ctx, { op: 'upsert', id: ok.id, entity: ok, at: ok.updatedAt, legacyId: null, audit: null })).to.equal('applied');

        const admin = new pg.Client({ connectionString: t.db.adminUrl });
        await admin.connect();
        try {
          const sqlErr = await rejection(admin.query(`update policy.pack_version set content_hash = 'sha256:forged' where id = $1`, [version.id]));
          expect((sqlErr as { code?: string }).code).to.equal('23514');
          expect((sqlErr as Error).message).to.contain('contentHash cannot be changed');
        } finally {
          await admin.end();
        }
      });
    }
  });
}
