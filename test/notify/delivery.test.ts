import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { IllegalTransitionError, NotFoundError, ValidationError } from '../../src/interfaces/errors.js';
import type { Backend } from '../../src/interfaces/modules.js';
import {
  DELIVERY_SERVICE_TOKEN,
  DELIVERY_STATES,
  DELIVERY_TRANSITIONS,
  type DeliveryService,
  type DeliveryState,
  type OutboxEvent,
} from '../../src/interfaces/notify.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import { MongoDeliveryService } from '../../src/modules/notify/deliveries/mongo.js';
import { notifyModule } from '../../src/modules/notify/index.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';
import { ManualClock } from '../scheduler/manual-clock.js';

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** A legal path from pending to each state. */
const PATH: Record<DeliveryState, DeliveryState[]> = {
  pending: [],
  sending: ['sending'],
  sent: ['sending', 'sent'],
  failed: ['sending', 'failed'],
  retrying: ['sending', 'failed', 'retrying'],
  dead: ['sending', 'failed', 'dead'],
  suppressed: ['suppressed'],
  cancelled: ['cancelled'],
};

const DETAILS = { error: 'SMTP 451', nextAttemptAt: new Date(Date.UTC(2026, 10, 2, 9, 0, 0)) };

async function allEvents(svc: DeliveryService, ctx: TenantContext): Promise<OutboxEvent[]> {
  const out: OutboxEvent[] = [];
  let after: string | null = null;
  do {
    const page: { items: OutboxEvent[]; next: string | null } = await svc.undispatched(ctx, { after, limit: 7 });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out;
}

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Notify delivery state machine on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let clock: ManualClock;
    let svc: DeliveryService;
    const channelId = randomUUID();
    before(async () => {
      clock = new ManualClock(Date.now());
      t = await startTestRuntime(backend, { modules: [notifyModule], clock });
      svc = t.runtime.get<DeliveryService>(DELIVERY_SERVICE_TOKEN);
    });
    after(async () => t?.close());

    it('creates a pending delivery with its outbox event, and walks a retry to sent', async () => {
      const ctx = t.tenant();
      const d = await svc.create(ctx, { channelId, eventId: 'evt-1', eventKind: 'scan.completed', recipient: 'secops@example.org' });
      expect(d.state).to.equal('pending');
      expect(d.attempts).to.equal(0);
      const steps: [DeliveryState, object][] = [
        ['sending', {}],
        ['failed', { error: 'SMTP 451 try later' }],
        ['retrying', { nextAttemptAt: new Date(clock.ms + 60_000) }],
        ['sending', {}],
        ['sent', { metadata: { providerMessageId: 'm-1' } }],
      ];
      let current = d;
      for (const [to, details] of steps) {
        clock.advance(1000);
        current = await svc.transition(ctx, d.id, to, details);
        expect(current.state).to.equal(to);
      }
      expect(current.attempts).to.equal(2);
      expect(current.sentAt!.getTime()).to.equal(clock.ms);
      expect(current.lastError).to.equal('SMTP 451 try later');
      expect(current.metadata).to.deep.equal({ providerMessageId: 'm-1' });
      expect(await svc.get(ctx, d.id)).to.deep.equal(current);
      const events = await allEvents(svc, ctx);
      expect(events.map((e) => e.topic)).to.deep.equal([
        'notify.delivery.pending', 'notify.delivery.sending', 'notify.delivery.failed', 'notify.delivery.retrying', 'notify.delivery.sending', 'notify.delivery.sent',
      ]);
      expect(events.map((e) => e.payload.previousState)).to.deep.equal([null, 'pending', 'sending', 'failed', 'retrying', 'sending']);
      expect(events.every((e) => e.aggregateId === d.id && e.aggregateType === 'notify.delivery' && e.dispatchedAt === null)).to.equal(true);
      expect(events[3]!.payload.nextAttemptAt).to.equal((steps[2]![1] as { nextAttemptAt: Date }).nextAttemptAt.toISOString());
    });

    it('allows exactly the transitions of the state machine, refusing the others with a clear error and writing nothing', async () => {
      const ctx = t.tenant();
      const allowed: Record<string, string[]> = {};
      for (const from of DELIVERY_STATES) {
        allowed[from] = [];
        for (const to of DELIVERY_STATES) {
          const d = await svc.create(ctx, { channelId, eventId: `m-${from}-${to}`, eventKind: 'k' });
          for (const step of PATH[from]) await svc.transition(ctx, d.id, step, DETAILS);
          const before = await svc.get(ctx, d.id);
          const eventsBefore = (await allEvents(svc, ctx)).length;
          try {
            await svc.transition(ctx, d.id, to, DETAILS);
            allowed[from]!.push(to);
          } catch (err) {
            expect(err, `${from} -> ${to}`).to.be.instanceOf(IllegalTransitionError);
            expect((err as Error).message).to.contain(`cannot go from ${from} to ${to}`);
            expect(await svc.get(ctx, d.id), 'unchanged').to.deep.equal(before);
            expect((await allEvents(svc, ctx)).length, 'no event').to.equal(eventsBefore);
          }
        }
      }
      expect(allowed).to.deep.equal(Object.fromEntries(DELIVERY_STATES.map((s) => [s, [...DELIVERY_TRANSITIONS[s]]])));
    });

    it('needs the error entering failed and the time entering retrying; refuses unknown states and ids', async () => {
      const ctx = t.tenant();
      const d = await svc.create(ctx, { channelId, eventId: 'evt-v', eventKind: 'k' });
      await svc.transition(ctx, d.id, 'sending');
      expect(await rejects(svc.transition(ctx, d.id, 'failed'))).to.be.instanceOf(ValidationError);
      await svc.transition(ctx, d.id, 'failed', { error: 'boom' });
      expect(await rejects(svc.transition(ctx, d.id, 'retrying'))).to.be.instanceOf(ValidationError);
      expect(await rejects(svc.transition(ctx, d.id, 'exploded' as DeliveryState))).to.be.instanceOf(ValidationError);
      expect(await rejects(svc.transition(ctx, randomUUID(), 'sending'))).to.be.instanceOf(NotFoundError);
      expect((await svc.get(ctx, d.id))!.state).to.equal('failed');
    });

    it('lets only one of two racing transitions win', async () => {
      const ctx = t.tenant();
      const d = await svc.create(ctx, { channelId, eventId: 'evt-race', eventKind: 'k' });
      await svc.transition(ctx, d.id, 'sending');
      const results = await Promise.allSettled([svc.transition(ctx, d.id, 'sent'), svc.transition(ctx, d.id, 'failed', { error: 'x' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      const final = (await svc.get(ctx, d.id))!;
      expect(['sent', 'failed']).to.include(final.state);
      expect((await allEvents(svc, ctx)).map((e) => e.topic)).to.deep.equal(['notify.delivery.pending', 'notify.delivery.sending', `notify.delivery.${final.state}`]);
    });

    it('hands outbox events to a sender exactly once and keeps failed dispatches', async () => {
      const ctx = t.tenant();
      const d = await svc.create(ctx, { channelId, eventId: 'evt-o', eventKind: 'k' });
      await svc.transition(ctx, d.id, 'sending');
      const [first, second] = await allEvents(svc, ctx);
      const failed = await svc.markDispatchFailed(ctx, first!.id, 'broker down');
      expect(failed.dispatchAttempts).to.equal(1);
      expect(failed.error).to.equal('broker down');
      expect(await svc.markDispatched(ctx, first!.id)).to.equal(true);
      expect(await svc.markDispatched(ctx, first!.id)).to.equal(false);
      expect(await rejects(svc.markDispatchFailed(ctx, first!.id, 'late'))).to.be.instanceOf(ValidationError);
      expect((await allEvents(svc, ctx)).map((e) => e.id)).to.deep.equal([second!.id]);
      expect(await rejects(svc.markDispatched(ctx, randomUUID()))).to.be.instanceOf(NotFoundError);
    });

    it("never shows or changes another tenant's deliveries and events", async () => {
      const a = t.tenant();
      const b = t.tenant();
      const d = await svc.create(a, { channelId, eventId: 'evt-iso', eventKind: 'k' });
      expect(await svc.get(b, d.id)).to.equal(null);
      expect(await rejects(svc.transition(b, d.id, 'sending'))).to.be.instanceOf(NotFoundError);
      expect(await allEvents(svc, b)).to.deep.equal([]);
      const [event] = await allEvents(svc, a);
      expect(await rejects(svc.markDispatched(b, event!.id))).to.be.instanceOf(NotFoundError);
      expect((await svc.get(a, d.id))!.state).to.equal('pending');
    });

    if (backend === 'Postgres') {
      it('writes the outbox event in the same transaction as the delivery change', async () => {
        const ctx = t.tenant();
        const d = await svc.create(ctx, { channelId, eventId: 'evt-tx', eventKind: 'k' });
        const moved = await svc.transition(ctx, d.id, 'sending');
        const xmins = await t.runtime.postgres!.withTenant(ctx, async (tx) => {
          const del = await tx.query(`select xmin::text as x from notify.delivery where id = $1`, [d.id]);
          const ev = await tx.query(`select xmin::text as x, topic from core.outbox where aggregate_id = $1 order by created_at, id`, [d.id]);
          return { delivery: del.rows[0].x as string, events: ev.rows as { x: string; topic: string }[] };
        });
        expect(xmins.events.map((e) => e.topic)).to.deep.equal(['notify.delivery.pending', 'notify.delivery.sending']);
        expect(xmins.events[1]!.x, 'the sending event and the delivery row were written by one transaction').to.equal(xmins.delivery);
        expect(xmins.events[0]!.x).to.not.equal(xmins.delivery);
        expect(moved.state).to.equal('sending');
      });
    }

    if (backend === 'DualWrite') {
      it('replicates deliveries and their outbox events to MongoDB', async () => {
        const ctx = t.tenant();
        const mongoSvc = new MongoDeliveryService(t.runtime.mongo!.db);
        const d = await svc.create(ctx, { channelId, eventId: 'evt-dw', eventKind: 'k' });
        await svc.transition(ctx, d.id, 'sending');
        const sent = await svc.transition(ctx, d.id, 'sent');
        await t.runtime.flushDualWrite();
        expect(await mongoSvc.get(ctx, d.id)).to.deep.equal(sent);
        const events = await allEvents(svc, ctx);
        expect(await svc.markDispatched(ctx, events[0]!.id)).to.equal(true);
        await t.runtime.flushDualWrite();
        expect((await allEvents(mongoSvc, ctx)).map((e) => e.id)).to.deep.equal(events.slice(1).map((e) => e.id));
      });
    }
  });
}
