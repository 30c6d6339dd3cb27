import { expect } from 'chai';
import pg from 'pg';
import { ExcititorCustomTokens, ExcititorTokens, type TimelineEventRepository, type TriageQueueItem, type TriageQueueRepository, type VexDecisionRepository, type VexPackageRepository, type VexStatus } from '../../src/interfaces/excititor.js';
import { PersistenceError } from '../../src/interfaces/errors.js';
import type { Backend } from '../../src/interfaces/modules.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';
import { at } from './excititor-samples.js';

async function caught(fn: () => Promise<unknown>): Promise<Error | undefined> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

interface Expected {
  purl: string;
  vulnId: string;
  status: VexStatus;
  events: number;
}

/** Packages, decisions of every status and timeline events for one tenant; returns the expected open queue. */
async function seed(t: TestRuntime, ctx: TenantContext, prefix: string): Promise<Omit<TriageQueueItem, 'tenantId' | 'packageId' | 'decidedAt'>[]> {
  const packages = t.runtime.get<VexPackageRepository>(ExcititorTokens.package);
  const decisions = t.runtime.get<VexDecisionRepository>(ExcititorTokens.vex_decision);
  const events = t.runtime.get<TimelineEventRepository>(ExcititorTokens.timeline_event);
  const rows: Expected[] = [
    { purl: `pkg:npm/${prefix}-alpha@1.0.0`, vulnId: 'CVE-2024-0001', status: 'affected', events: 3 },
    { purl: `pkg:npm/${prefix}-alpha@1.0.0`, vulnId: 'CVE-2024-0002', status: 'fixed', events: 5 },
    { purl: `pkg:npm/${prefix}-Beta@2.0.0`, vulnId: 'CVE-2024-0001', status: 'under_investigation', events: 3 },
    { purl: `pkg:npm/${prefix}-gamma@3.0.0`, vulnId: 'CVE-2024-0003', status: 'affected', events: 0 },
    { purl: `pkg:npm/${prefix}-délta@4.0.0`, vulnId: 'CVE-2024-0004', status: 'not_affected', events: 1 },
    { purl: `pkg:npm/${prefix}-Beta@2.0.0`, vulnId: 'CVE-2024-0005', status: 'affected', events: 1 },
  ];
  const ids = new Map<string, string>();
  let minute = 0;
  const out: (Omit<TriageQueueItem, 'tenantId' | 'packageId' | 'decidedAt'> & { order: number })[] = [];
  for (const r of rows) {
    if (!ids.has(r.purl)) ids.set(r.purl, (await packages.insert(ctx, { purl: r.purl, name: r.purl.split('/')[1]!, ecosystem: 'npm', version: null })).id);
    const packageId = ids.get(r.purl)!;
    await decisions.insert(ctx, { packageId, vulnId: r.vulnId, status: r.status, rationale: null, proofRef: null, decidedBy: null, decidedAt: at(1) });
    let last: Date | null = null;
    for (let e = 0; e < r.events; e++) {
      last = new Date(at(2).getTime() + ++minute * 60_000);
      await events.insert(ctx, { packageId, vulnId: r.vulnId, eventType: 'comment', decisionId: null, actorId: null, detail: { e }, occurredAt: last });
    }
    if (r.status === 'affected' || r.status === 'under_investigation') {
      out.push({ purl: r.purl, vulnId: r.vulnId, status: r.status, eventCount: r.events, lastEventAt: last, order: 0 });
    }
  }
  // Busiest first, then purl and vulnerability in byte order.
  out.sort((a, b) => b.eventCount - a.eventCount || Buffer.compare(Buffer.from(a.purl), Buffer.from(b.purl)) || Buffer.compare(Buffer.from(a.vulnId), Buffer.from(b.vulnId)));
  return out.map(({ order: _o, ...rest }) => rest);
}

const shape = (items: TriageQueueItem[]) => items.map(({ purl, vulnId, status, eventCount, lastEventAt }) => ({ purl, vulnId, status, eventCount, lastEventAt }));

async function all(queue: TriageQueueRepository, ctx: TenantContext, live: boolean): Promise<TriageQueueItem[]> {
  const out: TriageQueueItem[] = [];
  let after: string | null = null;
  do {
    const page = await queue.list(ctx, { after, limit: 2, live });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out;
}

async function all2(queue: TriageQueueRepository, ctx: TenantContext, query: { live: boolean; eventsSince: Date }): Promise<TriageQueueItem[]> {
  const out: TriageQueueItem[] = [];
  let after: string | null = null;
  do {
    const page = await queue.list(ctx, { ...query, after, limit: 3 });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out;
}

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Excititor triage queue on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    const queue = () => t.runtime.get<TriageQueueRepository>(ExcititorCustomTokens.triage_queue);
    before(async () => {
      t = await startTestRuntime(backend, { modules: [excititorModule] });
    });
    after(async () => t?.close());

    it('lists the open decisions with their activity, busiest first, keyset-paged, after a refresh', async () => {
      const a = t.tenant();
      const b = t.tenant();
      const expectedA = await seed(t, a, 'a');
      const expectedB = await seed(t, b, 'b');
      await queue().refresh();
      expect(shape(await all(queue(), a, false))).to.deep.equal(expectedA);
      expect(shape(await all(queue(), a, true))).to.deep.equal(expectedA);
      expect(shape(await all(queue(), b, false))).to.deep.equal(expectedB);
      const first = (await queue().list(a, { limit: 1 })).items[0]!;
      expect(first.tenantId).to.equal(a.tenantId);
      expect(await queue().get(a, first.packageId, first.vulnId)).to.deep.equal(first);
      expect(await queue().get(b, first.packageId, first.vulnId)).to.equal(null);
      // Live reads can count only recent activity; the view cannot (it is computed once for all).
      const quiet = await all2(queue(), a, { live: true, eventsSince: at(500) });
      expect(quiet.map((i) => [i.eventCount, i.lastEventAt])).to.deep.equal(expectedA.map(() => [0, null]));
      expect(await caught(() => queue().list(a, { eventsSince: at(0) }))).to.be.instanceOf(PersistenceError);
    });

    if (backend === 'Postgres') {
      it('is a snapshot: changes show after the next (concurrent) refresh; live reads see them at once', async () => {
        const ctx = t.tenant();
        await seed(t, ctx, 'c');
        await queue().refresh();
        const before = shape(await all(queue(), ctx, false));
        const top = (await queue().list(ctx, { limit: 1 })).items[0]!;
        const events = t.runtime.get<TimelineEventRepository>(ExcititorTokens.timeline_event);
        for (let i = 0; i < 3; i++) await events.insert(ctx, { packageId: top.packageId, vulnId: top.vulnId, eventType: 'comment', decisionId: null, actorId: null, detail: {}, occurredAt: at(30 + i) });
        expect(shape(await all(queue(), ctx, false))).to.deep.equal(before);
        const live = await all(queue(), ctx, true);
        expect(live[0]!.eventCount).to.equal(top.eventCount + 3);
        await queue().refresh();
        expect(shape(await all(queue(), ctx, false))).to.deep.equal(shape(live));
      });

      it('refreshes concurrently: a reader holding the view open does not block the refresh', async () => {
        const ctx = t.tenant();
        await seed(t, ctx, 'd');
        const reader = new pg.Client({ connectionString: t.db.appUrl });
        await reader.connect();
        try {
          await reader.query('begin');
          await reader.query(`select set_config('app.tenant_id', $1, true)`, [ctx.tenantId]);
          await reader.query('select count(*) from vex.triage_queue');
          // A plain REFRESH would wait for the reader's ACCESS SHARE lock; CONCURRENTLY does not.
          const refreshed = await Promise.race([queue().refresh().then(() => 'done'), new Promise((r) => setTimeout(() => r('blocked'), 10_000))]);
          expect(refreshed).to.equal('done');
          await reader.query('commit');
        } finally {
          await reader.end();
        }
      });

      it('shows the application role only its tenant: the materialized view itself is not readable', async () => {
        const a = t.tenant();
        const b = t.tenant();
        await seed(t, a, 'e');
        await seed(t, b, 'f');
        await queue().refresh();
        const ds = t.runtime.postgres!;
        const tenants = await ds.withTenant(a, (tx) => tx.query('select distinct tenant_id from vex.triage_queue'));
        expect(tenants.rows.map((r) => r.tenant_id)).to.deep.equal([a.tenantId]);
        const none = await ds.transaction((tx) => tx.query('select count(*)::int as n from vex.triage_queue'));
        expect(none.rows[0].n).to.equal(0);
        const pages = await ds.withTenant(b, (tx) => tx.query('select distinct tenant_id from vex.triage_queue_page(1000)'));
        expect(pages.rows.map((r) => r.tenant_id)).to.deep.equal([b.tenantId]);
        const noPage = await ds.transaction((tx) => tx.query('select count(*)::int as n from vex.triage_queue_page(1000)'));
        expect(noPage.rows[0].n).to.equal(0);
        const direct = await caught(() => ds.withTenant(a, (tx) => tx.query('select * from vex.mv_triage_queue')));
        expect(direct?.message).to.match(/permission denied/);
      });
    }
  });
}
