import type { Document } from 'bson';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import { JOB_STATUSES } from '../../interfaces/scheduler.js';
import { before, DemoRandom, demoUuid } from '../shared/demo-random.js';
import { DAY_MS } from './entities.js';

const HOUR = 3_600_000;
const NAMESPACES = ['payments', 'edge', 'platform', 'data', 'identity'];
const REPOS = ['registry.example.org/payments/api', 'registry.example.org/edge/gateway', 'registry.example.org/platform/base', 'registry.example.org/data/etl'];

/**
 * Generated legacy Scheduler documents (the shapes the MongoDB-era scheduler wrote: camelCase, string
 * tenantId, BSON Dates, absent rather than null optional fields). Schedules and runs have UUID `_id`s
 * (runs and logs reference them by uuid); jobs, snapshots and locks have ObjectIds. Times spread beyond
 * the tier B windows (runs over 240 days, snapshots over 150 days, jobs over 90 days) so conversion
 * has something to leave out.
 *
 * @example
 * for (const [collection, doc] of schedulerDemo({ tenants: [t], count: 20, seed: 7, now, corpusDir: null })) await db.collection(collection).insertOne(doc);
 */
export function* schedulerDemo(options: DemoOptions): Iterable<readonly [string, Document]> {
  const { seed, now, count } = options;
  for (const tenantId of options.tenants) {
    const r = new DemoRandom(seed, 'scheduler', tenantId);
    const scheduleIds = [];
    for (let i = 0; i < count; i++) {
      const createdAt = before(now, r.int(30, 400) * DAY_MS + r.int(0, DAY_MS - 1));
      const updatedAt = new Date(createdAt.getTime() + r.int(0, 20) * DAY_MS);
      const id = demoUuid(seed, 'schedules', tenantId, i);
      scheduleIds.push(id);
      const scope = r.pick(['all-images', 'by-namespace', 'by-repository']);
      const doc: Document = {
        _id: id,
        tenantId,
        name: `${r.pick(['nightly', 'weekly', 'hourly', 'kev'])}-rescan-${i}`,
        cronExpression: r.pick(['0 2 * * *', '0 3 * * 0', '15 * * * *', '*/30 * * * *']),
        timezone: r.pick(['UTC', 'Europe/Berlin', 'America/New_York']),
        enabled: r.bool(0.8),
        mode: r.pick(['analysis-only', 'content-refresh']),
        selection:
          scope === 'all-images'
            ? { scope }
            : scope === 'by-namespace'
              ? { scope, namespaces: [r.pick(NAMESPACES), r.pick(NAMESPACES)] }
              : { scope, repositories: [r.pick(REPOS)], labels: { tier: r.pick(['prod', 'staging']) } },
        createdBy: `user:${r.hex(6)}`,
        updatedBy: `user:${r.hex(6)}`,
        createdAt,
        updatedAt,
      };
      if (r.bool(0.5)) doc.description = `Rescan ${scope} (${i})`;
      if (r.bool(0.4)) doc.onlyIf = { lastReportOlderThanDays: r.int(1, 14) };
      if (r.bool(0.6)) doc.notify = { onNewFindings: true, minSeverity: r.pick(['medium', 'high', 'critical']), includeKev: r.bool(0.5) };
      if (r.bool(0.5)) doc.limits = { maxJobs: r.int(10, 5000), ratePerSecond: r.int(1, 50), parallelism: r.int(1, 16) };
      if (r.bool(0.7)) doc.lastRunAt = before(now, r.int(1, 72) * HOUR);
      if (doc.enabled) doc.nextRunAt = new Date(now.getTime() + r.int(1, 48) * HOUR);
      yield ['schedules', doc];
    }

    const runIds = [];
    for (let i = 0; i < count * 2; i++) {
      const createdAt = before(now, r.int(0, 240 * 24) * HOUR + r.int(0, HOUR - 1));
      const state = r.pick(['planning', 'queued', 'running', 'completed', 'completed', 'completed', 'error', 'cancelled'] as const);
      const id = demoUuid(seed, 'runs', tenantId, i);
      runIds.push({ id, createdAt });
      const candidates = r.int(0, 4000);
      const doc: Document = {
        _id: id,
        tenantId,
        trigger: r.pick(['cron', 'cron', 'conselier', 'excititor', 'manual']),
        state,
        stats: { candidates, deduped: Math.floor(candidates * 0.9), queued: Math.floor(candidates * 0.8), completed: state === 'completed' ? Math.floor(candidates * 0.8) : 0, newCriticals: r.int(0, 5), newHigh: r.int(0, 20) },
        deltaCount: r.int(0, 300),
        createdAt,
        updatedAt: new Date(createdAt.getTime() + r.int(0, 6) * HOUR),
      };
      if (r.bool(0.85) && scheduleIds.length) doc.scheduleId = r.pick(scheduleIds).toHexString(true);
      if (doc.trigger === 'manual') doc.reason = { manualReason: 'requested from console' };
      else if (doc.trigger === 'conselier') doc.reason = { conselierExportId: `exp-${r.hex(8)}`, cursor: r.hex(12) };
      if (state !== 'planning' && state !== 'queued') doc.startedAt = new Date(createdAt.getTime() + r.int(1, 600) * 1000);
      if (state === 'completed' || state === 'error' || state === 'cancelled') doc.finishedAt = new Date(createdAt.getTime() + r.int(601, 7200) * 1000);
      if (state === 'error') doc.error = r.pick(['registry timeout after 30s', 'scanner pool exhausted', 'policy engine unavailable']);
      yield ['runs', doc];
    }

    for (let i = 0; i < count; i++) {
      const createdAt = before(now, r.int(0, 90 * 24) * HOUR);
      const status = r.pick(JOB_STATUSES);
      const doc: Document = {
        _id: r.objectId(),
        tenantId,
        type: r.pick(['build', 'overlay']),
        sbomId: `sbom-${r.hex(10)}`,
        artifactDigest: `sha256:${r.hex(64)}`,
        status,
        trigger: r.pick(['sbom-version', 'backfill', 'policy', 'manual']),
        attempts: r.int(0, 3),
        metadata: { nodes: r.int(10, 20000), edges: r.int(10, 80000) },
        createdAt,
        updatedAt: new Date(createdAt.getTime() + r.int(0, 3) * HOUR),
      };
      if (status !== 'pending' && status !== 'queued') doc.startedAt = new Date(createdAt.getTime() + r.int(1, 600) * 1000);
      if (status === 'completed' || status === 'failed' || status === 'cancelled') doc.completedAt = new Date(createdAt.getTime() + r.int(601, 3 * 3600) * 1000);
      if (status === 'completed') doc.graphSnapshotId = `gs-${r.hex(12)}`;
      if (status === 'failed') doc.error = 'graph indexer: out of memory';
      if (r.bool(0.5)) doc.correlationId = r.hex(16);
      yield ['graph_jobs', doc];
    }

    for (let i = 0; i < count; i++) {
      const submittedAt = before(now, r.int(0, 90 * 24) * HOUR);
      const status = r.pick(JOB_STATUSES);
      const doc: Document = {
        _id: r.objectId(),
        tenantId,
        policyId: `P-${r.int(1, 9)}`,
        mode: r.pick(['incremental', 'full']),
        priority: r.pick(['normal', 'normal', 'high', 'emergency']),
        status,
        attempts: r.int(0, 3),
        availableAt: submittedAt,
        submittedAt,
        inputs: { sbomSet: [`sbom-${r.hex(6)}`], advisoryCursor: r.hex(8) },
        createdAt: submittedAt,
        updatedAt: new Date(submittedAt.getTime() + r.int(0, 5) * HOUR),
      };
      if (r.bool(0.8)) doc.policyVersion = r.int(1, 40);
      if (status !== 'pending') doc.policyRunId = `run:P-${r.int(1, 9)}:${r.hex(8)}`;
      if (r.bool(0.5)) doc.requestedBy = `user:${r.hex(6)}`;
      if (status === 'completed' || status === 'failed' || status === 'cancelled') doc.completedAt = new Date(submittedAt.getTime() + r.int(60, 7200) * 1000);
      if (status === 'failed') doc.lastError = 'evaluation timed out';
      yield ['policy_jobs', doc];
    }

    for (let i = 0; i < count; i++) {
      const generatedAt = before(now, r.int(0, 150 * 24) * HOUR);
      const n = r.int(0, 3);
      const impacts = Array.from({ length: n }, () => ({ imageDigest: `sha256:${r.hex(64)}`, namespaces: [r.pick(NAMESPACES)], repositories: [r.pick(REPOS)], usedByEntrypoint: r.bool(0.5) }));
      const doc: Document = {
        _id: r.objectId(),
        tenantId,
        snapshotId: `impact-${tenantId.slice(0, 8)}-${i}`,
        selector: { scope: 'by-namespace', namespaces: [r.pick(NAMESPACES)] },
        impactedImages: n,
        impacts,
        generatedAt,
        createdAt: generatedAt,
        updatedAt: generatedAt,
      };
      if (runIds.length && r.bool(0.7)) doc.runId = r.pick(runIds).id.toHexString(true);
      yield ['impact_snapshots', doc];
    }

    for (let i = 0; i < Math.min(count, 3); i++) {
      const acquiredAt = before(now, r.int(1, 600) * 1000);
      yield ['locks', { _id: r.objectId(), tenantId, resource: `schedule-planner:${i}`, holder: `scheduler-${r.hex(4)}`, acquiredAt, expiresAt: new Date(acquiredAt.getTime() + 60_000), createdAt: acquiredAt, updatedAt: acquiredAt }];
    }

    for (let i = 0; i < count * 2 && runIds.length; i++) {
      const run = r.pick(runIds);
      const createdAt = new Date(run.createdAt.getTime() + r.int(0, 3600) * 1000);
      const level = r.pick(['debug', 'info', 'info', 'info', 'warn', 'error'] as const);
      const doc: Document = {
        _id: r.objectId(),
        tenantId,
        runId: run.id.toHexString(true),
        level,
        message: level === 'error' ? 'scan failed: registry returned 503' : `processed batch ${i}`,
        createdAt,
        updatedAt: createdAt,
      };
      if (r.bool(0.3)) doc.jobId = demoUuid(seed, 'jobs', tenantId, i).toHexString(true);
      if (r.bool(0.5)) doc.data = { batch: i, images: r.int(1, 50) };
      yield ['execution_logs', doc];
    }
  }
}
