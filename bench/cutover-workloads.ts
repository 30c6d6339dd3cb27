import type { Document } from 'bson';
import type { EntitySpec } from '../src/interfaces/entity-spec.js';
import type { ModuleDefinition } from '../src/interfaces/module-definition.js';
import { authorityModule } from '../src/modules/authority/index.js';
import { user } from '../src/modules/authority/entities.js';
import { schedulerModule } from '../src/modules/scheduler/index.js';
import { schedule } from '../src/modules/scheduler/entities.js';
import { encodeDocument } from '../src/mongo/document-codec.js';
import { BENCH_TENANTS } from './bench-support.js';

/**
 * What the live cutover harness writes for one module: the entity its adapter writers insert,
 * update and delete through the container, the legacy documents present before the cutover and
 * those a legacy service writes straight into MongoDB, and whether the module's custom store
 * (Scheduler's job queue) takes traffic too (through the runtime's JOB_QUEUE_TOKEN binding only).
 */
export interface CutoverWorkload {
  readonly module: ModuleDefinition;
  readonly entity: EntitySpec;
  /** The fields of a new entity; `tag` is unique per writer and write. */
  insert(tag: string): Record<string, unknown>;
  /** A patch for the `i`-th update. */
  update(i: number): Record<string, unknown>;
  /** The `i`-th legacy document (ObjectId `_id` with the 4-hex `prefix`), last written at `at`. */
  legacyDoc(i: number, prefix: string, at: Date): Document;
  /** Enqueue, claim and complete jobs through the module's custom job queue as well. */
  readonly jobQueue: boolean;
}

const tenantOf = (i: number) => BENCH_TENANTS[i % BENCH_TENANTS.length]!;
const oid = (prefix: string, i: number) => `oid:${prefix}${i.toString(16).padStart(20, '0')}`;

/** Authority: users (a plain module, generic stores only). */
export const authorityWorkload: CutoverWorkload = Object.freeze({
  module: authorityModule,
  entity: user,
  insert: (tag: string) => ({ username: `w-${tag}`, status: 'active', mfaEnabled: false }),
  update: (i: number) => ({ displayName: `changed ${i}`, status: i % 2 ? 'locked' : 'active' }),
  legacyDoc: (i: number, prefix: string, at: Date) =>
    encodeDocument(
      user,
      {
        tenantId: tenantOf(i),
        createdAt: new Date(at.getTime() - 60_000),
        updatedAt: at,
        username: `legacy-${prefix}-${i.toString(36)}`,
        email: `u${i}@example.org`,
        displayName: i % 5 ? `User ${i}` : null,
        passwordHash: i % 2 ? `sha256:${i.toString(16).padStart(16, '0')}` : null,
        status: ['active', 'disabled', 'locked'][i % 3],
        mfaEnabled: i % 2 === 0,
        lastLoginAt: i % 3 ? at : null,
      },
      oid(prefix, i),
    ),
  jobQueue: false,
});

/** Scheduler: schedules through the generic store, plus the custom job queue store. */
export const schedulerWorkload: CutoverWorkload = Object.freeze({
  module: schedulerModule,
  entity: schedule,
  insert: (tag: string) => ({
    name: `s-${tag}`,
    description: null,
    cronExpression: '0 3 * * *',
    timezone: 'UTC',
    enabled: true,
    mode: 'analysis-only',
    selection: { scope: 'all-images' },
    onlyIf: null,
    notify: null,
    limits: null,
    lastRunAt: null,
    nextRunAt: null,
    createdBy: 'harness',
    updatedBy: 'harness',
  }),
  update: (i: number) => ({ description: `changed ${i}`, enabled: i % 2 === 0, updatedBy: `harness-${i % 7}` }),
  legacyDoc: (i: number, prefix: string, at: Date) =>
    encodeDocument(
      schedule,
      {
        tenantId: tenantOf(i),
        createdAt: new Date(at.getTime() - 60_000),
        updatedAt: at,
        name: `legacy-${prefix}-${i.toString(36)}`,
        description: i % 4 ? `nightly ${i}` : null,
        cronExpression: `${i % 60} ${i % 24} * * *`,
        timezone: i % 2 ? 'UTC' : 'Europe/Paris',
        enabled: i % 3 !== 0,
        mode: i % 2 ? 'analysis-only' : 'content-refresh',
        selection: { scope: 'by-namespace', namespaces: [`ns-${i % 9}`] },
        onlyIf: i % 5 ? null : { lastReportOlderThanDays: 7 },
        notify: null,
        limits: i % 2 ? { maxJobs: 100 + i } : null,
        lastRunAt: i % 3 ? at : null,
        nextRunAt: null,
        createdBy: 'legacy',
        updatedBy: 'legacy',
      },
      oid(prefix, i),
    ),
  jobQueue: true,
});

export const WORKLOADS: Readonly<Record<string, CutoverWorkload>> = Object.freeze({ Authority: authorityWorkload, Scheduler: schedulerWorkload });
