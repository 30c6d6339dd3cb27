import { expect } from 'chai';
import pg from 'pg';
import { ExcititorTokens, type TimelineEventRepository } from '../../src/interfaces/excititor.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { TIMELINE_RETENTION_MONTHS, timelineHorizon } from '../../src/modules/excititor/entities.js';
import { listPartitions, maintainPartitions, monthStartUtc, partitionedTablesOf } from '../../src/postgres/partitions.js';
import { rlsCheck } from '../../src/postgres/rls-check.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const uuid = '00000000-0000-4000-8000-000000000001';

describe('Excititor on PostgreSQL: timeline partitions and RLS coverage', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  let admin: pg.Client;
  const events = () => t.runtime.get<TimelineEventRepository>(ExcititorTokens.timeline_event);
  before(async () => {
    t = await startTestRuntime('Postgres', { modules: [excititorModule] });
    admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await t?.close();
  });

  it('has every retained month and three ahead on a fresh database', async () => {
    const now = new Date();
    const parts = await listPartitions(admin, 'vex.timeline_event');
    expect(parts[0]!.from!.toISOString()).to.equal(timelineHorizon(now).toISOString());
    expect(parts[parts.length - 1]!.from!.toISOString()).to.equal(monthStartUtc(now, 3).toISOString());
    expect(parts).to.have.length(TIMELINE_RETENTION_MONTHS + 4);
    expect(parts.some((p) => p.isDefault)).to.equal(false);
  });

  it('puts each event in the partition of its month, and refuses one outside every partition', async () => {
    const ctx = t.tenant();
    const occurredAt = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1, 0, 0, 0, 1));
    const e = await events().insert(ctx, { packageId: uuid, vulnId: 'CVE-2024-1', eventType: 'comment', decisionId: null, actorId: null, detail: {}, occurredAt });
    const where = await admin.query(`select tableoid::regclass::text as part from vex.timeline_event where id = $1`, [e.id]);
    const month = occurredAt.toISOString().slice(0, 7).replace('-', '');
    expect(where.rows[0].part).to.equal(`vex.timeline_event_p${month}`);
    let error: Error | undefined;
    try {
      await events().insert(ctx, { packageId: uuid, vulnId: 'CVE-2024-1', eventType: 'comment', decisionId: null, actorId: null, detail: {}, occurredAt: new Date('2001-01-01T00:00:00Z') });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/no partition/);
  });

  it('is maintained by `partitions maintain` (ahead and retention by DROP), with RLS on every new partition', async () => {
    const later = monthStartUtc(new Date(), 14); // a year on: new months ahead, the oldest ones expired
    const [report] = (await maintainPartitions(t.db.adminUrl, partitionedTablesOf([excititorModule]), { monthsAhead: 3, now: later })).tables;
    expect(report!.table).to.equal('vex.timeline_event');
    expect(report!.created.length).to.be.greaterThan(0);
    expect(report!.dropped.length).to.be.greaterThan(0);
    const parts = await listPartitions(admin, 'vex.timeline_event');
    expect(parts[0]!.from!.toISOString()).to.equal(timelineHorizon(later).toISOString());
    const coverage = await rlsCheck(t.db.adminUrl, ['vex', 'unknowns']);
    expect(coverage.tables.filter((x) => !x.ok).map((x) => `${x.schema}.${x.table}`)).to.deep.equal([]);
    expect(coverage.ok).to.equal(true);
    expect(coverage.tables.filter((x) => x.partitionOf === 'vex.timeline_event').length).to.equal(parts.length);
    expect(coverage.tables.map((x) => `${x.schema}.${x.table}`)).to.include.members(['unknowns.unknown', 'vex.vuln_fact', 'vex.vex_decision', 'vex.timeline_event']);
  });
});
