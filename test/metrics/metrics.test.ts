import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { ObjectId } from 'bson';
import pg from 'pg';
import { PersistenceRuntime } from '../../src/app/persistence-runtime.js';
import { runConversion } from '../../src/conversion/index.js';
import { AuthorityTokens, type UserRepository } from '../../src/interfaces/authority.js';
import { JOB_QUEUE_TOKEN, type JobQueue } from '../../src/interfaces/scheduler.js';
import { createLogger } from '../../src/logging/logger.js';
import { metricsHandler } from '../../src/metrics/index.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { connectMongo } from '../../src/mongo/mongo-data-source.js';
import { MONGO_DOWN, startTestRuntime, useRuntimeWithAdmin, type TestRuntime } from '../setup/runtime.js';
import { sample } from './exposition.js';

const newUser = (name: string) => ({ username: name, email: null, displayName: null, passwordHash: null, status: 'active' as const, mfaEnabled: false, lastLoginAt: null });

/** Collects pino records as parsed JSON. */
function recordSink(): { stream: Writable; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return { stream, records };
}

describe('metrics: DualWrite, reconciler and shadow reads (Authority on DualWrite)', function () {
  this.timeout(180_000);
  const suite = useRuntimeWithAdmin('DualWrite', { modules: [authorityModule] });

  it('secondary failures, the pending backlog and its age, then the reconciler applying it', async () => {
    const ctx = suite.t.tenant();
    const sink = recordSink();
    const down = await suite.t.restart({ MONGO_URL: MONGO_DOWN }, { logger: createLogger({ destination: sink.stream }) });
    const before = await down.metrics();
    expect(sample(before, 'stellaops_dualwrite_pending_records', { store: 'Postgres', module: 'Authority' })).to.equal(0);
    expect(sample(before, 'stellaops_dualwrite_secondary_failures_total', { module: 'Authority', entity: 'user' })).to.equal(undefined);

    const users = down.get<UserRepository>(AuthorityTokens.user);
    const a = await users.insert(ctx, newUser('m-outage-1'));
    await users.insert(ctx, newUser('m-outage-2'));
    // The secondary write is tried after commit, in the background: wait until both have failed.
    await down.flushDualWrite();
    // The oldest record was written 90 s ago (as if the outage had lasted that long).
    await suite.admin.query(`update core.dualwrite_pending set created_at = now() - interval '90 seconds' where entity_id = $1`, [a.id]);

    const during = await down.metrics();
    expect(sample(during, 'stellaops_dualwrite_secondary_failures_total', { module: 'Authority', entity: 'user' })).to.equal(2);
    expect(sample(during, 'stellaops_dualwrite_pending_records', { store: 'Postgres', module: 'Authority' })).to.equal(2);
    const age = sample(during, 'stellaops_dualwrite_pending_oldest_age_seconds', { store: 'Postgres', module: 'Authority' })!;
    expect(age).to.be.within(90, 150);
    expect(sample(during, 'stellaops_metrics_source_up', { source: 'postgres_pending' })).to.equal(1);
    const backlog = await down.pendingBacklog();
    expect(backlog).to.have.length(1);
    expect(backlog[0]).to.include({ store: 'Postgres', module: 'Authority', pending: 2 });
    // Each failure is one warn record naming the module, the entity and the tenant.
    const failures = sink.records.filter((r) => r.level === 'warn' && String(r.msg).startsWith('DualWrite secondary write failed'));
    expect(failures).to.have.length(2);
    expect(failures[0]).to.include({ module: 'Authority', entity: 'Authority.user', id: a.id, tenant: ctx.tenantId });
    await down.close();

    const back = await suite.t.restart();
    const report = await back.reconciler!.runOnce({ all: true });
    expect(report).to.include({ applied: 2, remaining: 0 });
    const after = await back.metrics();
    expect(sample(after, 'stellaops_reconciler_records_total', { outcome: 'applied' })).to.equal(2);
    expect(sample(after, 'stellaops_reconciler_records_total', { outcome: 'failed' })).to.equal(0);
    expect(sample(after, 'stellaops_reconciler_passes_total')).to.equal(1);
    expect(sample(after, 'stellaops_dualwrite_pending_records', { store: 'Postgres', module: 'Authority' })).to.equal(0);
    expect(sample(after, 'stellaops_dualwrite_pending_oldest_age_seconds', { store: 'Postgres', module: 'Authority' })).to.equal(0);
    // The restarted runtime has its own registry: the failures counted by the first one are not here.
    expect(sample(after, 'stellaops_dualwrite_secondary_failures_total', { module: 'Authority', entity: 'user' })).to.equal(undefined);
  });

  it('shadow reads: every comparison is counted, mismatches apart', async () => {
    const ctx = suite.t.tenant();
    const base = await suite.t.restart();
    const cfg = { ...base.config, DualWrite: { ...base.config.DualWrite, ShadowReadSampleRate: 1 } };
    const rt = await PersistenceRuntime.start(cfg, { modules: [authorityModule], migrate: false });
    try {
      const users = rt.get<UserRepository>(AuthorityTokens.user);
      const u = await users.insert(ctx, newUser('m-shadow'));
      await users.get(ctx, u.id);
      await rt.mongo!.db.collection('authority_users').updateOne({ tenantId: ctx.tenantId, username: 'm-shadow' }, { $set: { displayName: 'drifted' } });
      await users.get(ctx, u.id);
      await users.findOne(ctx, { username: 'm-shadow' });
      const text = await rt.metrics();
      expect(sample(text, 'stellaops_dualwrite_shadow_reads_total', { module: 'Authority', entity: 'user', operation: 'get' })).to.equal(2);
      expect(sample(text, 'stellaops_dualwrite_shadow_mismatches_total', { module: 'Authority', entity: 'user', operation: 'get' })).to.equal(1);
      expect(sample(text, 'stellaops_dualwrite_shadow_reads_total', { module: 'Authority', entity: 'user', operation: 'findOne' })).to.equal(1);
      expect(sample(text, 'stellaops_dualwrite_shadow_mismatches_total', { module: 'Authority', entity: 'user', operation: 'findOne' })).to.equal(1);
    } finally {
      await rt.close();
    }
  });

  it('a maintenance role that RLS confines: the backlog is unknown (source down, no series), never a false zero', async () => {
    const cfg = { ...suite.t.config, Postgres: { ...suite.t.config.Postgres, AdminUrl: suite.t.db.appUrl } };
    const sink = recordSink();
    const rt = await PersistenceRuntime.start(cfg, { modules: [authorityModule], migrate: false, logger: createLogger({ destination: sink.stream }) });
    try {
      const ctx = suite.t.tenant();
      const down = await suite.t.restart({ MONGO_URL: MONGO_DOWN });
      await down.get<UserRepository>(AuthorityTokens.user).insert(ctx, newUser('m-hidden'));
      await down.close();
      const text = await rt.metrics();
      expect(sample(text, 'stellaops_metrics_source_up', { source: 'postgres_pending' })).to.equal(0);
      expect(sample(text, 'stellaops_dualwrite_pending_records', { store: 'Postgres', module: 'Authority' })).to.equal(undefined);
      await rt.metrics();
      const warnings = sink.records.filter((r) => r.level === 'warn' && r.source === 'postgres_pending');
      expect(warnings, 'warned once, not at every scrape').to.have.length(1);
      expect(String(warnings[0]!.msg)).to.match(/neither superuser nor BYPASSRLS/);
      let error: unknown;
      await rt.pendingBacklog().catch((e) => (error = e));
      expect((error as Error).message).to.match(/cannot count the DualWrite pending log across tenants/);
    } finally {
      await rt.close();
      const back = await suite.t.restart();
      await back.reconciler!.runOnce({ all: true });
    }
  });

  it('the /metrics handler serves the exposition over HTTP (GET and HEAD; other methods 405)', async () => {
    const rt = await suite.t.restart();
    const server: Server = createServer(metricsHandler(rt));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      const body = await res.text();
      expect(sample(body, 'stellaops_dualwrite_pending_records', { store: 'Postgres', module: 'Authority' })).to.equal(0);
      expect(body).to.contain('# TYPE stellaops_dualwrite_secondary_failures_total counter');
      const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' });
      expect(post.status).to.equal(405);
      expect(post.headers.get('allow')).to.equal('GET, HEAD');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('metrics: conversion progress, quarantine and job queue depth', function () {
  this.timeout(180_000);
  let t: TestRuntime;
  before(async () => {
    t = await startTestRuntime('Postgres', { modules: [authorityModule, schedulerModule] });
  });
  after(async () => t?.close());

  it('conversion: documents by result, planned, the quarantine; lag 0 once finished, what is left to read while running', async () => {
    const tenantId = t.tenant().tenantId;
    const at = new Date('2026-01-01T00:00:00.000Z');
    const docs = [1, 2, 3, 4, 5].map((i) => ({
      _id: new ObjectId(), tenantId, username: i === 5 ? 'nul\u0000name' : `legacy-${i}`, status: 'active', mfaEnabled: false, createdAt: at, updatedAt: at,
    }));
    const legacy = await connectMongo(t.mongoUrl, t.mongoDatabase);
    try {
      await legacy.db.collection('authority_users').insertMany(docs);
    } finally {
      await legacy.close();
    }
    const report = await runConversion({ config: t.config, module: 'Authority', collection: 'authority_users', progress: 'none', log: () => {} });
    expect(report.collections[0]).to.include({ outcome: 'completed', inserted: 4, quarantined: 1 });
    const text = await t.runtime.metrics();
    const at_ = { module: 'Authority', collection: 'authority_users' };
    expect(sample(text, 'stellaops_conversion_documents', { ...at_, result: 'inserted' })).to.equal(4);
    expect(sample(text, 'stellaops_conversion_documents', { ...at_, result: 'quarantined' })).to.equal(1);
    expect(sample(text, 'stellaops_conversion_documents', { ...at_, result: 'already_present' })).to.equal(0);
    expect(sample(text, 'stellaops_conversion_documents', { ...at_, result: 'skipped' })).to.equal(0);
    expect(sample(text, 'stellaops_conversion_planned_documents', at_)).to.equal(5);
    expect(sample(text, 'stellaops_conversion_lag_documents', at_)).to.equal(0);
    expect(sample(text, 'stellaops_conversion_pass_running', at_)).to.equal(0);
    expect(sample(text, 'stellaops_conversion_quarantine_documents', at_)).to.equal(1);
    expect(sample(text, 'stellaops_metrics_source_up', { source: 'conversion' })).to.equal(1);

    // A pass that is still running: what it has left to read is its lag.
    const admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
    try {
      await admin.query(`update core.conversion_pass set status = 'running', planned = 8 where job_id = 'Authority/authority_users'`);
      const running = await t.runtime.metrics();
      expect(sample(running, 'stellaops_conversion_pass_running', at_)).to.equal(1);
      expect(sample(running, 'stellaops_conversion_lag_documents', at_)).to.equal(3);
    } finally {
      await admin.query(`update core.conversion_pass set status = 'finished', planned = 5 where job_id = 'Authority/authority_users'`);
      await admin.end();
    }
  });

  it('queue depth of the Scheduler job queue by kind and state, across tenants', async () => {
    const queue = t.runtime.get<JobQueue>(JOB_QUEUE_TOKEN);
    const a = t.tenant();
    const b = t.tenant();
    for (let i = 0; i < 3; i++) await queue.enqueue(a, { kind: 'scan', payload: { i } });
    await queue.enqueue(b, { kind: 'scan', payload: { i: 9 } });
    await queue.enqueue(b, { kind: 'index', payload: {} });
    const claimed = await queue.claim(a, 'scan', 'worker-1', { limit: 1 });
    expect(claimed).to.have.length(1);
    const text = await t.runtime.metrics();
    expect(sample(text, 'stellaops_job_queue_jobs', { kind: 'scan', state: 'ready' })).to.equal(3);
    expect(sample(text, 'stellaops_job_queue_jobs', { kind: 'scan', state: 'running' })).to.equal(1);
    expect(sample(text, 'stellaops_job_queue_jobs', { kind: 'index', state: 'ready' })).to.equal(1);
    expect(sample(text, 'stellaops_job_queue_jobs', { kind: 'index', state: 'running' })).to.equal(undefined);
  });
});
