import { expect } from 'chai';
import { canonicalEntity, canonicalJson } from '../../src/codec/canonical.js';
import type { Clock } from '../../src/interfaces/clock.js';
import type { Entity } from '../../src/interfaces/entity-spec.js';
import { ValidationError } from '../../src/interfaces/errors.js';
import { ExcititorCustomTokens } from '../../src/interfaces/excititor.js';
import type { Backend } from '../../src/interfaces/modules.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import type { UnknownRecord, UnknownsRepository } from '../../src/interfaces/unknowns.js';
import { subjectHashOf } from '../../src/modules/excititor/unknowns/rules.js';
import { unknown } from '../../src/modules/excititor/entities.js';
import { createUnknownsRepository } from '../../src/modules/excititor/unknowns/index.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { MongoRepository } from '../../src/mongo/mongo-repository.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 12, 0, 0, 0);
const day = (n: number) => new Date(T0 + n * DAY);

/** A clock the test moves by hand: system time is under test control. */
class ManualClock implements Clock {
  private current = T0;
  now(): Date {
    return new Date(this.current);
  }
  set(d: Date): void {
    this.current = d.getTime();
  }
}

const view = (r: UnknownRecord | null) =>
  r && { context: r.context, validFrom: r.validFrom.toISOString(), validTo: r.validTo?.toISOString() ?? null, sysFrom: r.sysFrom.toISOString(), sysTo: r.sysTo?.toISOString() ?? null };

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

async function all(page: (after: string | null) => Promise<{ items: UnknownRecord[]; next: string | null }>): Promise<UnknownRecord[]> {
  const out: UnknownRecord[] = [];
  let after: string | null = null;
  do {
    const p = await page(after);
    out.push(...p.items);
    after = p.next;
  } while (after);
  return out;
}

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Unknowns (bitemporal) on ${backend}`, function () {
    this.timeout(120_000);
    const clock = new ManualClock();
    let t: TestRuntime;
    const repo = () => t.runtime.get<UnknownsRepository>(ExcititorCustomTokens.unknowns);
    before(async () => {
      t = await startTestRuntime(backend, { modules: [excititorModule], clock });
    });
    after(async () => t?.close());

    /** Subject S: unknown from day 0 ("no VEX"), context changes on day 5, we learn on day 9 it was resolved since day 2. */
    async function story(ctx: TenantContext, subjectHash: string) {
      clock.set(day(0));
      await repo().record(ctx, { subjectHash, kind: 'missing_vex', context: { reason: 'no VEX statement' } });
      clock.set(day(5));
      await repo().record(ctx, { subjectHash, kind: 'missing_vex', context: { reason: 'under investigation' } });
      clock.set(day(9));
      await repo().correct(ctx, { subjectHash, kind: 'missing_vex', context: null, validFrom: day(2) });
    }

    it('answers "as known at system time S, what was valid at V" for every belief, and never loses one', async () => {
      const ctx = t.tenant();
      const s = subjectHashOf({ purl: 'pkg:npm/lodash@4.17.20', vuln: 'CVE-2021-23337' });
      await story(ctx, s);
      const asOf = async (sys: number, valid: number) => view(await repo().subjectAsOf(ctx, s, 'missing_vex', { systemTime: day(sys), validTime: day(valid) }));
      // Before anything was recorded: nothing.
      expect(await asOf(-1, 0)).to.equal(null);
      // Known on day 1: unknown since day 0, open-ended.
      expect(await asOf(1, 1)).to.deep.equal({ context: { reason: 'no VEX statement' }, validFrom: day(0).toISOString(), validTo: null, sysFrom: day(0).toISOString(), sysTo: day(5).toISOString() });
      // Known on day 6: what we then believed about day 3 (old context until day 5) and day 7 (new context).
      expect((await asOf(6, 3))!.context).to.deep.equal({ reason: 'no VEX statement' });
      expect((await asOf(6, 3))!.validTo).to.equal(day(5).toISOString());
      expect((await asOf(6, 7))!.context).to.deep.equal({ reason: 'under investigation' });
      // Known on day 6, about day 30 (the future then): still the new context, open-ended.
      expect((await asOf(6, 30))!.validTo).to.equal(null);
      // Known now (after the correction on day 9): unknown only on days 0-2, nothing after.
      expect((await asOf(10, 1))!.context).to.deep.equal({ reason: 'no VEX statement' });
      expect((await asOf(10, 1))!.validTo).to.equal(day(2).toISOString());
      expect(await asOf(10, 3)).to.equal(null);
      expect(await asOf(10, 7)).to.equal(null);
      // The whole history: every belief stays, closed ones with their sysTo.
      const history = (await repo().history(ctx, s, 'missing_vex')).map(view);
      expect(history).to.deep.equal([
        { context: { reason: 'no VEX statement' }, validFrom: day(0).toISOString(), validTo: null, sysFrom: day(0).toISOString(), sysTo: day(5).toISOString() },
        { context: { reason: 'no VEX statement' }, validFrom: day(0).toISOString(), validTo: day(5).toISOString(), sysFrom: day(5).toISOString(), sysTo: day(9).toISOString() },
        { context: { reason: 'under investigation' }, validFrom: day(5).toISOString(), validTo: null, sysFrom: day(5).toISOString(), sysTo: day(9).toISOString() },
        { context: { reason: 'no VEX statement' }, validFrom: day(0).toISOString(), validTo: day(2).toISOString(), sysFrom: day(9).toISOString(), sysTo: null },
      ]);
      expect((await repo().current(ctx)).items).to.deep.equal([]);
    });

    it('keeps one open row per subject: repeating the same state is a no-op, a new state supersedes', async () => {
      const ctx = t.tenant();
      const s = subjectHashOf({ purl: 'pkg:pypi/requests@2.0.0' });
      clock.set(day(20));
      const first = await repo().record(ctx, { subjectHash: s, kind: 'unresolved_purl', context: { attempts: 1 } });
      expect(first.opened).to.have.length(1);
      clock.set(day(21));
      const same = await repo().record(ctx, { subjectHash: s, kind: 'unresolved_purl', context: { attempts: 1 } });
      expect(same).to.deep.equal({ closed: [], opened: [] });
      const second = await repo().record(ctx, { subjectHash: s, kind: 'unresolved_purl', context: { attempts: 2 } });
      expect(second.closed.map((r) => r.id)).to.deep.equal([first.opened[0]!.id]);
      const open = (await repo().current(ctx)).items;
      expect(open).to.have.length(1);
      expect(open[0]!.context).to.deep.equal({ attempts: 2 });
      // Resolving closes it; resolving again changes nothing.
      clock.set(day(22));
      expect((await repo().resolve(ctx, { subjectHash: s, kind: 'unresolved_purl' })).closed).to.have.length(1);
      expect(await repo().resolve(ctx, { subjectHash: s, kind: 'unresolved_purl' })).to.deep.equal({ closed: [], opened: [] });
      expect((await repo().current(ctx)).items).to.deep.equal([]);
    });

    it('pages current and as-of snapshots in byte order of (subjectHash, kind), per tenant only', async () => {
      const ctx = t.tenant();
      const other = t.tenant();
      clock.set(day(30));
      const subjects = ['b-subject', 'B-subject', 'a-subject', 'é-subject', 'Z-subject'];
      for (const s of subjects) await repo().record(ctx, { subjectHash: s, kind: 'missing_vex', context: { s } });
      await repo().record(ctx, { subjectHash: 'a-subject', kind: 'unknown_version', context: {} });
      await repo().record(other, { subjectHash: 'a-subject', kind: 'missing_vex', context: { other: true } });
      const expected = ['B-subject|missing_vex', 'Z-subject|missing_vex', 'a-subject|missing_vex', 'a-subject|unknown_version', 'b-subject|missing_vex', 'é-subject|missing_vex'];
      const current = await all((after) => repo().current(ctx, { after, limit: 2 }));
      expect(current.map((r) => `${r.subjectHash}|${r.kind}`)).to.deep.equal(expected);
      const snapshot = await all((after) => repo().asOf(ctx, { systemTime: day(30), validTime: day(31) }, { after, limit: 4 }));
      expect(snapshot.map((r) => `${r.subjectHash}|${r.kind}`)).to.deep.equal(expected);
      const kind = await all((after) => repo().asOf(ctx, { systemTime: day(30), validTime: day(31) }, { kind: 'unknown_version', after, limit: 1 }));
      expect(kind.map((r) => r.subjectHash)).to.deep.equal(['a-subject']);
      expect((await repo().asOf(ctx, { systemTime: day(29), validTime: day(31) })).items).to.deep.equal([]);
      expect((await repo().current(other)).items.map((r) => r.context)).to.deep.equal([{ other: true }]);
    });

    it('refuses what cannot be stored or an empty valid interval, writing nothing', async () => {
      const ctx = t.tenant();
      for (const bad of [
        () => repo().record(ctx, { subjectHash: '', kind: 'k', context: {} }),
        () => repo().record(ctx, { subjectHash: 'nul\u0000', kind: 'k', context: {} }),
        () => repo().record(ctx, { subjectHash: 's', kind: 'k', context: { x: 'nul\u0000' } }),
        () => repo().correct(ctx, { subjectHash: 's', kind: 'k', context: {}, validFrom: day(3), validTo: day(3) }),
        () => repo().asOf(ctx, { systemTime: new Date(Number.NaN), validTime: day(1) }),
      ]) {
        expect(await caught(bad)).to.be.instanceOf(ValidationError);
      }
      expect((await repo().history(ctx, 's', 'k'))).to.deep.equal([]);
    });

    it('corrects a bounded past interval, splitting the belief around it', async () => {
      const ctx = t.tenant();
      clock.set(day(40));
      await repo().record(ctx, { subjectHash: 'split', kind: 'missing_vex', context: { v: 1 }, validFrom: day(30) });
      clock.set(day(41));
      const change = await repo().correct(ctx, { subjectHash: 'split', kind: 'missing_vex', context: { v: 2 }, validFrom: day(33), validTo: day(35) });
      expect(change.closed).to.have.length(1);
      expect(change.opened.map((r) => [r.validFrom.toISOString(), r.validTo?.toISOString() ?? null, r.context])).to.deep.equal([
        [day(30).toISOString(), day(33).toISOString(), { v: 1 }],
        [day(33).toISOString(), day(35).toISOString(), { v: 2 }],
        [day(35).toISOString(), null, { v: 1 }],
      ]);
      const at = (v: number) => repo().subjectAsOf(ctx, 'split', 'missing_vex', { systemTime: day(42), validTime: day(v) });
      expect((await at(34))!.context).to.deep.equal({ v: 2 });
      expect((await at(36))!.context).to.deep.equal({ v: 1 });
      expect((await repo().subjectAsOf(ctx, 'split', 'missing_vex', { systemTime: day(40), validTime: day(34) }))!.context).to.deep.equal({ v: 1 });
    });

    if (backend === 'DualWrite') {
      it('replays every closed and opened row on MongoDB, identical to PostgreSQL', async () => {
        const ctx = t.tenant();
        await story(ctx, 'dual');
        await t.runtime.flushDualWrite();
        const pg = await repo().history(ctx, 'dual', 'missing_vex');
        const mongo = new MongoRepository<Entity>(unknown, t.runtime.mongo!.db);
        const copies = (await mongo.list(ctx, { where: { subjectHash: 'dual' } as never, order: 'default' })).items;
        const canon = (rows: unknown[]) => rows.map((r) => canonicalJson(canonicalEntity(unknown, r as Record<string, unknown>))).sort();
        expect(copies).to.have.length(4);
        expect(canon(copies)).to.deep.equal(canon(pg));
      });
    }
  });
}

describe('Unknowns on DualWrite with MongoDB as the primary', function () {
  this.timeout(120_000);
  const clock = new ManualClock();
  let t: TestRuntime;
  before(async () => {
    t = await startTestRuntime('DualWrite', { modules: [excititorModule], clock });
  });
  after(async () => t?.close());

  it('replays each closed and opened row into PostgreSQL (the history trigger lets closings through)', async () => {
    const deps = { postgres: t.runtime.postgres!, mongo: t.runtime.mongo!.db, clock, dualWrite: { Primary: 'Mongo' as const, WriteToBoth: true }, applier: t.runtime.dualWriteApplier };
    const repo = createUnknownsRepository('DualWrite', deps);
    const ctx = t.tenant();
    clock.set(day(0));
    await repo.record(ctx, { subjectHash: 'm', kind: 'missing_vex', context: { v: 1 } });
    clock.set(day(3));
    await repo.record(ctx, { subjectHash: 'm', kind: 'missing_vex', context: { v: 2 } });
    clock.set(day(4));
    await repo.resolve(ctx, { subjectHash: 'm', kind: 'missing_vex' });
    await t.runtime.flushDualWrite();
    const mongo = await repo.history(ctx, 'm', 'missing_vex');
    const pg = await createUnknownsRepository('Postgres', deps).history(ctx, 'm', 'missing_vex');
    const canon = (rows: UnknownRecord[]) => rows.map((r) => canonicalJson(canonicalEntity(unknown, r as unknown as Record<string, unknown>)));
    expect(mongo).to.have.length(4);
    expect(canon(pg)).to.deep.equal(canon(mongo));
  });
});
