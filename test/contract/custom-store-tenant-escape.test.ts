import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../src/interfaces/errors.js';
import { ExcititorCustomTokens, type TriageQueueRepository } from '../../src/interfaces/excititor.js';
import type { Backend } from '../../src/interfaces/modules.js';
import { DELIVERY_SERVICE_TOKEN, type DeliveryService } from '../../src/interfaces/notify.js';
import { JOB_QUEUE_TOKEN, type JobQueue } from '../../src/interfaces/scheduler.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import type { UnknownsRepository } from '../../src/interfaces/unknowns.js';
import { subjectHashOf } from '../../src/modules/excititor/unknowns/rules.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { notifyModule } from '../../src/modules/notify/index.js';
import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

/**
 * The stores that are not generic repositories (job queue, deliveries, Unknowns, triage queue)
 * refuse a context that tenantContext() would not build, on every backend, before any query:
 * a hand-made `{ tenantId: { $ne: null } }` must never widen a MongoDB filter.
 */
const FORGED: readonly unknown[] = [{ tenantId: { $ne: null } }, { tenantId: 'acme' }, { tenantId: ['x'] }, {}, null, { tenantId: randomUUID(), actorId: { $gt: '' } }];

async function refusal(attempt: () => Promise<unknown>): Promise<unknown> {
  try {
    return { resolved: await attempt() };
  } catch (err) {
    return err;
  }
}

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Custom stores on ${backend}: forged tenant contexts are refused`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let victim: TenantContext;
    before(async () => {
      t = await startTestRuntime(backend, { modules: [schedulerModule, notifyModule, excititorModule] });
      victim = t.tenant();
    });
    after(async () => t?.close());

    const check = async (store: string, calls: Record<string, (ctx: TenantContext) => Promise<unknown>>) => {
      for (const forged of FORGED) {
        for (const [name, call] of Object.entries(calls)) {
          const outcome = await refusal(() => call(forged as TenantContext));
          expect(outcome, `${store}.${name} with ${JSON.stringify(forged)}: ${JSON.stringify(outcome)?.slice(0, 200)}`).to.be.instanceOf(ValidationError);
        }
      }
    };

    it('job queue: every method', async () => {
      const queue = t.runtime.get<JobQueue>(JOB_QUEUE_TOKEN);
      const job = (await queue.enqueue(victim, { kind: 'scan', payload: { n: 1 } })).job;
      await queue.claim(victim, 'scan', 'w1', { limit: 1, leaseMs: 60_000 });
      const lease = { id: job.id, leaseId: (await queue.get(victim, job.id))!.leaseId! };
      await check('jobQueue', {
        enqueue: (c) => queue.enqueue(c, { kind: 'scan', payload: {} }),
        claim: (c) => queue.claim(c, 'scan', 'w2', { limit: 10 }),
        complete: (c) => queue.complete(c, lease),
        fail: (c) => queue.fail(c, lease, 'boom'),
        extendLease: (c) => queue.extendLease(c, lease, 1000),
        get: (c) => queue.get(c, job.id),
        listDead: (c) => queue.listDead(c, {}),
        counts: (c) => queue.counts(c),
      });
      expect((await queue.get(victim, job.id))!.state).to.equal('running');
      expect(await queue.counts(victim)).to.deep.include({ ready: 0, running: 1 });
    });

    it('deliveries: every method', async () => {
      const svc = t.runtime.get<DeliveryService>(DELIVERY_SERVICE_TOKEN);
      const d = await svc.create(victim, { channelId: randomUUID(), eventId: 'evt-1', eventKind: 'scan.completed' });
      const event = (await svc.undispatched(victim)).items[0]!;
      await check('deliveries', {
        create: (c) => svc.create(c, { channelId: randomUUID(), eventId: 'evt-2', eventKind: 'scan.completed' }),
        transition: (c) => svc.transition(c, d.id, 'sending'),
        get: (c) => svc.get(c, d.id),
        undispatched: (c) => svc.undispatched(c),
        markDispatched: (c) => svc.markDispatched(c, event.id),
        markDispatchFailed: (c) => svc.markDispatchFailed(c, event.id, 'down'),
      });
      expect((await svc.get(victim, d.id))!.state).to.equal('pending');
      expect((await svc.undispatched(victim)).items.map((e) => e.id)).to.deep.equal([event.id]);
    });

    it('Unknowns: every method', async () => {
      const unknowns = t.runtime.get<UnknownsRepository>(ExcititorCustomTokens.unknowns);
      const subjectHash = subjectHashOf({ purl: 'pkg:npm/lodash@4.17.20', vuln: 'CVE-2021-23337' });
      await unknowns.record(victim, { subjectHash, kind: 'missing_vex', context: { reason: 'none' } });
      const at = { systemTime: new Date(), validTime: new Date() };
      await check('unknowns', {
        record: (c) => unknowns.record(c, { subjectHash, kind: 'missing_vex', context: { reason: 'forged' } }),
        resolve: (c) => unknowns.resolve(c, { subjectHash, kind: 'missing_vex' }),
        correct: (c) => unknowns.correct(c, { subjectHash, kind: 'missing_vex', context: { reason: 'forged' }, validFrom: new Date(0), validTo: new Date(1000) } as never),
        current: (c) => unknowns.current(c),
        asOf: (c) => unknowns.asOf(c, at),
        subjectAsOf: (c) => unknowns.subjectAsOf(c, subjectHash, 'missing_vex', at),
        history: (c) => unknowns.history(c, subjectHash, 'missing_vex'),
      });
      const history = await unknowns.history(victim, subjectHash, 'missing_vex');
      expect(history.map((r) => r.context)).to.deep.equal([{ reason: 'none' }]);
    });

    it('triage queue: every method', async () => {
      const triage = t.runtime.get<TriageQueueRepository>(ExcititorCustomTokens.triage_queue);
      await check('triageQueue', {
        list: (c) => triage.list(c, { live: true }),
        listView: (c) => triage.list(c),
        get: (c) => triage.get(c, randomUUID(), 'CVE-2021-23337', { live: true }),
      });
    });
  });
}
