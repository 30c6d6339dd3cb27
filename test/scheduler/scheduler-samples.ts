import type { ModuleSamples } from '../contract/repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/**
 * Valid Scheduler entities; i varies unique keys and order keys. The partitioned ones (run,
 * execution_log) leave createdAt to the repository: "now", a month whose partition the migration made.
 */
export const schedulerSamples: ModuleSamples = {
  schedule: {
    make: (i) => ({
      name: `nightly-${i}-é`,
      description: i % 2 ? 'rescan' : null,
      cronExpression: '0 2 * * *',
      timezone: 'Europe/Berlin',
      enabled: i % 3 !== 0,
      mode: i % 2 ? 'analysis-only' : 'content-refresh',
      selection: { scope: 'by-namespace', namespaces: ['payments', `ns-${i}`], labels: { 'a.b': 'c' } },
      onlyIf: i % 2 ? { lastReportOlderThanDays: i } : null,
      notify: { onNewFindings: true, minSeverity: 'high' },
      limits: null,
      lastRunAt: i % 2 ? at(i) : null,
      nextRunAt: at(i + 24),
      createdBy: 'user:alice',
      updatedBy: 'user:alice',
    }),
    patch: (i) => ({ enabled: false, nextRunAt: null, updatedBy: `user:bob-${i}` }),
  },
  run: {
    make: (i) => ({
      scheduleId: i % 4 ? uuid(i % 3) : null,
      trigger: (['cron', 'conselier', 'excititor', 'manual'] as const)[i % 4],
      state: (['planning', 'queued', 'running', 'completed', 'error', 'cancelled'] as const)[i % 6],
      reason: i % 4 === 3 ? { manualReason: 'console' } : null,
      stats: { candidates: i * 10, deduped: i * 9, newCriticals: i % 3 },
      deltaCount: i,
      startedAt: at(i),
      finishedAt: i % 2 ? at(i + 1) : null,
      error: null,
    }),
    patch: (i) => ({ state: 'completed', finishedAt: at(i + 2), stats: { candidates: 1, completed: 1 } }),
  },
  graph_job: {
    make: (i) => ({
      type: i % 2 ? 'build' : 'overlay',
      sbomId: `sbom-${i % 3}`,
      artifactDigest: `sha256:${String(i).padStart(64, '0')}`,
      graphSnapshotId: null,
      status: (['pending', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const)[i % 6],
      trigger: 'sbom-version',
      attempts: i % 3,
      correlationId: i % 2 ? `corr-${i}` : null,
      error: null,
      startedAt: null,
      completedAt: null,
      metadata: { nodes: i, edges: i * 2 },
      createdAt: at(i % 5),
    }),
    patch: (i) => ({ status: 'completed', completedAt: at(i + 3), graphSnapshotId: `gs-${i}` }),
  },
  policy_job: {
    make: (i) => ({
      policyId: `P-${i % 3}`,
      policyVersion: i % 2 ? i : null,
      mode: i % 2 ? 'incremental' : 'full',
      priority: (['normal', 'high', 'emergency'] as const)[i % 3],
      status: (['pending', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const)[i % 6],
      policyRunId: null,
      requestedBy: 'user:carol',
      attempts: 0,
      availableAt: at(i % 4),
      submittedAt: at(i % 5),
      completedAt: null,
      lastError: null,
      inputs: { sbomSet: [`sbom-${i}`] },
    }),
    patch: (i) => ({ status: 'failed', lastError: 'evaluation timed out', completedAt: at(i + 1), attempts: 1 }),
  },
  impact_snapshot: {
    make: (i) => ({
      snapshotId: `impact-${i}`,
      runId: i % 2 ? uuid(i) : null,
      selector: { scope: 'all-images' },
      impactedImages: i % 4,
      impacts: Array.from({ length: i % 4 }, (_, k) => ({ imageDigest: `sha256:${k}`, usedByEntrypoint: k % 2 === 0 })),
      generatedAt: at(i % 3),
    }),
    patch: () => ({ impactedImages: 0, impacts: [] }),
  },
  lock: {
    make: (i) => ({ resource: `planner:${i}`, holder: `scheduler-${i % 2}`, acquiredAt: at(i), expiresAt: at(i + (i % 3)) }),
    patch: (i) => ({ holder: 'scheduler-9', expiresAt: at(i + 10) }),
  },
  execution_log: {
    make: (i) => ({ runId: uuid(i % 3), jobId: i % 2 ? uuid(100 + i) : null, level: (['debug', 'info', 'warn', 'error'] as const)[i % 4], message: `line ${i}`, data: i % 2 ? { batch: i } : null }),
    patch: () => ({ message: 'edited', level: 'warn' }),
  },
  job: {
    make: (i) => ({
      kind: `kind-${i % 2}`,
      payload: { digest: `sha256:${i}` },
      idempotencyKey: i % 2 ? `key-${i}` : null,
      state: 'ready',
      runAfter: at(i % 4),
      attempts: 0,
      maxAttempts: 5,
      lockedAt: null,
      lockedBy: null,
      leaseId: null,
      leaseUntil: null,
      lastError: null,
      finishedAt: null,
    }),
    patch: (i) => ({ state: 'dead', lockedAt: at(i), lockedBy: 'worker-1', lastError: 'gave up', finishedAt: at(i + 1), attempts: 5 }),
  },
  audit_log: {
    make: (i) => ({ actorId: null, action: 'insert', entityType: 'Scheduler.schedule', entityId: uuid(i), at: at(i % 2), diff: { after: { n: i } } }),
    patch: () => ({ diff: { patched: true } }),
  },
};

