import { expect } from 'chai';
import { canonicalEntity, canonicalJson } from '../../src/codec/canonical.js';
import { ImmutableFactError, type VulnFact, type VulnFactRepository } from '../../src/interfaces/excititor.js';
import { ValidationError } from '../../src/interfaces/errors.js';
import { ExcititorTokens } from '../../src/interfaces/excititor.js';
import type { Backend } from '../../src/interfaces/modules.js';
import { vulnFact } from '../../src/modules/excititor/entities.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { factContentHash } from '../../src/modules/excititor/vuln-fact-rules.js';
import { recordFact } from '../../src/modules/excititor/vuln-facts.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';
import { at } from './excititor-samples.js';

const payload = (n: number) => ({
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': `https://openvex.dev/docs/public/vex-${n}`,
  $schema: 'https://example.org/schema.json',
  author: 'Wolfi J Inkinson 🐙',
  timestamp: '2023-12-04T21:55:19.945014473-06:00',
  version: 1,
  statements: [{ vulnerability: { name: `CVE-2014-${n}` }, products: [{ '@id': 'pkg:apk/distro/git@2.39.0-r1?arch=armv7' }], status: 'fixed', score: 5.5 }],
});

const canon = (f: unknown) => canonicalJson(canonicalEntity(vulnFact, f as Record<string, unknown>));

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Excititor vuln facts on ${backend}: immutable, idempotent by content hash`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    const facts = () => t.runtime.get<VulnFactRepository>(ExcititorTokens.vuln_fact);
    before(async () => {
      t = await startTestRuntime(backend, { modules: [excititorModule] });
    });
    after(async () => t?.close());

    it('records a payload once per tenant: the second import returns the first fact', async () => {
      const ctx = t.tenant();
      const first = await recordFact(facts(), ctx, { source: 'openvex', externalId: 'vex-1', payload: payload(1), schemaVersion: 1, receivedAt: at(1) });
      const again = await recordFact(facts(), ctx, { source: 'openvex', externalId: 'other-name', payload: payload(1), schemaVersion: 2, receivedAt: at(2) });
      expect(first.created).to.equal(true);
      expect(again.created).to.equal(false);
      expect(canon(again.fact)).to.equal(canon(first.fact));
      expect(first.fact.contentHash).to.equal(factContentHash(payload(1)));
      expect((await facts().list(ctx, {})).items).to.have.length(1);
      // Another tenant's identical payload is its own fact.
      const other = await recordFact(facts(), t.tenant(), { source: 'openvex', payload: payload(1), schemaVersion: 1, receivedAt: at(1) });
      expect(other.created).to.equal(true);
      expect(other.fact.id).to.not.equal(first.fact.id);
    });

    it('keeps the payload exactly ($schema, @context, astral characters, sub-millisecond timestamps as text)', async () => {
      const ctx = t.tenant();
      const { fact } = await recordFact(facts(), ctx, { source: 'openvex', payload: payload(2), schemaVersion: 1, receivedAt: at(3) });
      const read = await facts().get(ctx, fact.id);
      expect(canonicalJson(read!.payload)).to.equal(canonicalJson(payload(2)));
    });

    it('refuses an update with ImmutableFactError, on this backend too, and changes nothing', async () => {
      const ctx = t.tenant();
      const { fact } = await recordFact(facts(), ctx, { source: 'csaf', externalId: 'RHSA-1', payload: payload(3), schemaVersion: 1, receivedAt: at(4) });
      for (const patch of [{ externalId: 'RHSA-2' }, { payload: payload(4) }, { schemaVersion: 2 }]) {
        const error = await caught(() => facts().update(ctx, fact.id, patch as never));
        expect(error, JSON.stringify(patch)).to.be.instanceOf(ImmutableFactError);
        expect(error).to.be.instanceOf(ValidationError);
        expect((error as Error).message).to.match(/immutable/);
      }
      expect(canon(await facts().get(ctx, fact.id))).to.equal(canon(fact));
    });

    it('refuses a contentHash that does not match the payload', async () => {
      const ctx = t.tenant();
      const error = await caught(() =>
        facts().insert(ctx, { source: 'openvex', externalId: null, payload: payload(5), schemaVersion: 1, receivedAt: at(1), contentHash: factContentHash(payload(6)) }),
      );
      expect(error).to.be.instanceOf(ValidationError);
      expect((error as Error).message).to.match(/contentHash: does not match the payload/);
    });

    it('replays an identical fact idempotently (DualWrite, reconciler, conversion reruns)', async () => {
      const ctx = t.tenant();
      const { fact } = await recordFact(facts(), ctx, { source: 'openvex', payload: payload(7), schemaVersion: 1, receivedAt: at(1) });
      const replay = { op: 'upsert' as const, id: fact.id, entity: fact, at: fact.updatedAt, legacyId: null, audit: null };
      expect(await facts().applyReplica(ctx, replay)).to.equal('applied');
      expect(canon(await facts().get(ctx, fact.id))).to.equal(canon(fact));
    });

    if (backend !== 'Mongo') {
      it('refuses any change in PostgreSQL itself, whatever the path (trigger), as the application role', async () => {
        const ctx = t.tenant();
        const { fact } = await recordFact(facts(), ctx, { source: 'openvex', payload: payload(8), schemaVersion: 1, receivedAt: at(1) });
        const error = await caught(() => t.runtime.postgres!.withTenant(ctx, (tx) => tx.query(`update vex.vuln_fact set external_id = 'changed' where id = $1`, [fact.id])));
        expect((error as Error).message).to.match(/vex\.vuln_fact is immutable/);
        // A changed replica (another store's newer "version") is refused too.
        const changed: VulnFact = { ...fact, schemaVersion: 9, updatedAt: new Date(fact.updatedAt.getTime() + 1000) };
        const replayError = await caught(() => facts().applyReplica(ctx, { op: 'upsert', id: fact.id, entity: changed, at: changed.updatedAt, legacyId: null, audit: null }));
        expect(replayError, 'changed replica').to.be.instanceOf(Error);
        expect(canon(await facts().get(ctx, fact.id))).to.equal(canon(fact));
      });
    }
  });
}
