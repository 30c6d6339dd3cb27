import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { RepositoryFactory } from '../../src/container/repository-factory.js';
import { CoreTokens } from '../../src/container/tokens.js';
import type { NewEntity } from '../../src/interfaces/entity-spec.js';
import { IllegalTransitionError, ValidationError } from '../../src/interfaces/errors.js';
import {
  PublishedArtifactError,
  REGISTRY_STATES,
  type RegistryState,
  type RegistryVersion,
} from '../../src/interfaces/packs-registry.js';
import type { AuditRecord, EntityRepository } from '../../src/interfaces/repository.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import { registryVersion } from '../../src/modules/packs-registry/entities.js';
import { RegistryPublisher, isLegalTransition, packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { ALL_BACKENDS } from '../contract/repository-contract.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const T0 = Date.UTC(2026, 3, 1);
const at = (h: number) => new Date(T0 + h * 3_600_000);

function draft(i: number, over: Partial<RegistryVersion> = {}): NewEntity<RegistryVersion> {
  return {
    entryId: '00000000-0000-4000-8000-000000000777', version: `2.${i}.0`, state: 'draft', digest: `sha256:${String(i % 10).repeat(64)}`, sizeBytes: 123_456n,
    mediaType: 'application/vnd.stellaops.policy-pack.v1+tar+gzip', artifactUri: `oci://r.example.org/p@${i}`, signatureRef: null, signatureDigest: null,
    signerKeyId: null, releaseNotes: null, publishedAt: null, deprecatedAt: null, yankedAt: null, yankReason: null, ...over,
  } as NewEntity<RegistryVersion>;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('PacksRegistry publication states', () => {
  it('allows exactly: draft->published, published->deprecated|yanked, deprecated->published|yanked', () => {
    const legal = REGISTRY_STATES.flatMap((from) => REGISTRY_STATES.filter((to) => isLegalTransition(from, to)).map((to) => `${from}->${to}`));
    expect(legal).to.deep.equal(['draft->published', 'published->deprecated', 'published->yanked', 'deprecated->published', 'deprecated->yanked']);
  });
});

for (const backend of ALL_BACKENDS) {
  describe(`PacksRegistry publication on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let versions: EntityRepository<RegistryVersion>;
    let publisher: RegistryPublisher;
    const audits = async (ctx: TenantContext, id: string) =>
      (await t.runtime.repository<AuditRecord>('PacksRegistry', 'audit_log').list(ctx, { where: { entityId: id }, order: 'byEntity' })).items.length;

    before(async () => {
      t = await startTestRuntime(backend, { modules: [packsRegistryModule] });
      versions = t.runtime.repository<RegistryVersion>('PacksRegistry', 'registry_version');
      publisher = t.runtime.container.resolve(RegistryPublisher);
    });
    after(async () => t?.close());

    it('walks draft -> published -> deprecated -> published -> yanked, setting the lifecycle times', async () => {
      const ctx = t.tenant();
      const v = await versions.insert(ctx, draft(1));
      const published = await publisher.transition(ctx, v.id, 'published', { at: at(1) });
      expect([published.state, published.publishedAt, published.deprecatedAt]).to.deep.equal(['published', at(1), null]);
      const deprecated = await publisher.transition(ctx, v.id, 'deprecated', { at: at(2) });
      expect([deprecated.state, deprecated.deprecatedAt]).to.deep.equal(['deprecated', at(2)]);
      const again = await publisher.transition(ctx, v.id, 'published', { at: at(3) });
      expect([again.state, again.publishedAt, again.deprecatedAt]).to.deep.equal(['published', at(1), null]);
      expect(await rejection(publisher.transition(ctx, v.id, 'yanked'))).to.be.instanceOf(ValidationError);
      const yanked = await publisher.transition(ctx, v.id, 'yanked', { at: at(4), reason: 'signing key compromised' });
      expect([yanked.state, yanked.yankedAt, yanked.yankReason]).to.deep.equal(['yanked', at(4), 'signing key compromised']);
      expect(await audits(ctx, v.id)).to.equal(5);
    });

    it('refuses illegal transitions with a clear error, writing nothing', async () => {
      const ctx = t.tenant();
      const d = await versions.insert(ctx, draft(2));
      const err = await rejection(publisher.transition(ctx, d.id, 'deprecated'));
      expect(err).to.be.instanceOf(IllegalTransitionError);
      expect((err as Error).message).to.equal(`PacksRegistry.registry_version ${d.id}: cannot go from draft to deprecated (allowed from draft: published)`);
      const y = await versions.insert(ctx, draft(3, { state: 'yanked', publishedAt: at(0), yankedAt: at(1), yankReason: 'broken' }));
      for (const to of REGISTRY_STATES) {
        const e = await rejection(publisher.transition(ctx, y.id, to));
        expect(e, to).to.be.instanceOf(IllegalTransitionError);
        expect((e as Error).message).to.contain('none, it is final');
      }
      expect(await rejection(publisher.transition(ctx, randomUUID(), 'published'))).to.have.property('name', 'NotFoundError');
      expect((await versions.get(ctx, d.id))!.updatedAt.getTime()).to.equal(d.updatedAt.getTime());
      expect(await audits(ctx, d.id)).to.equal(1);
    });

    it('lets a draft change its artifact, and fixes the artifact once published', async () => {
      const ctx = t.tenant();
      const v = await versions.insert(ctx, draft(4));
      const changed = await publisher.update(ctx, v.id, { digest: `sha256:${'b'.repeat(64)}`, sizeBytes: 99n, signerKeyId: 'sha256:k' });
      expect(changed.sizeBytes).to.equal(99n);
      await publisher.transition(ctx, v.id, 'published');
      const err = await rejection(publisher.update(ctx, v.id, { releaseNotes: 'ok', artifactUri: 'oci://elsewhere', sizeBytes: 1n }));
      expect(err).to.be.instanceOf(PublishedArtifactError);
      expect((err as PublishedArtifactError).fields).to.deep.equal(['artifactUri', 'sizeBytes']);
      expect(await rejection(publisher.update(ctx, v.id, { state: 'yanked' }))).to.be.instanceOf(ValidationError);
      const notes = await publisher.update(ctx, v.id, { releaseNotes: 'Fixes the KEV rule' });
      expect([notes.releaseNotes, notes.artifactUri, notes.digest]).to.deep.equal(['Fixes the KEV rule', v.artifactUri, `sha256:${'b'.repeat(64)}`]);
    });

    it('finds the versions holding a digest', async () => {
      const ctx = t.tenant();
      const a = await versions.insert(ctx, draft(5));
      await versions.insert(ctx, draft(6));
      expect((await publisher.byDigest(ctx, a.digest)).map((v) => v.id)).to.deep.equal([a.id]);
      expect(await publisher.byDigest(t.tenant(), a.digest)).to.deep.equal([]);
    });

    if (backend !== 'Mongo') {
      it('PostgreSQL enforces the same transition table and artifact rule against any writer (trigger)', async () => {
        const ctx = t.tenant();
        const raw = t.runtime.container.get<RepositoryFactory>(CoreTokens.RepositoryFactory).pgRepo<RegistryVersion>(registryVersion);
        let i = 100;
        for (const from of REGISTRY_STATES) {
          for (const to of REGISTRY_STATES) {
            if (from === to) continue;
            const v = await raw.insert(ctx, draft(i++, { state: from as RegistryState }));
            const outcome = await raw.update(ctx, v.id, { state: to }).then(() => 'ok', (e: Error) => e);
            if (isLegalTransition(from, to)) expect(outcome, `${from}->${to}`).to.equal('ok');
            else {
              expect(outcome, `${from}->${to}`).to.be.instanceOf(ValidationError);
              expect((outcome as Error).message).to.contain(`cannot go from ${from} to ${to}`);
            }
          }
        }
        const p = await raw.insert(ctx, draft(i++, { state: 'published', publishedAt: at(0) }));
        const err = await rejection(raw.update(ctx, p.id, { digest: `sha256:${'c'.repeat(64)}` }));
        expect(err).to.be.instanceOf(ValidationError);
        expect((err as Error).message).to.contain('is no longer a draft: digest cannot be changed');
        expect((await raw.update(ctx, p.id, { releaseNotes: 'fine' })).releaseNotes).to.equal('fine');
      });
    }
  });
}
