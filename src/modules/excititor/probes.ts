import type { Entity } from '../../interfaces/entity-spec.js';
import type { TriageQueueRepository } from '../../interfaces/excititor.js';
import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { EntityRepository } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import type { UnknownsRepository } from '../../interfaces/unknowns.js';
import { MongoBitemporalRepository } from './unknowns/mongo.js';
import { MongoRepository } from '../../mongo/mongo-repository.js';
import { PostgresBitemporalRepository } from './unknowns/postgres.js';
import { PostgresRepository } from '../../postgres/postgres-repository.js';
import { RAW_WINDOW_DAYS, timelineHorizon, unknown } from './entities.js';
import { MongoTriageQueue } from './triage-queue/mongo.js';
import { PostgresTriageQueue } from './triage-queue/postgres.js';

const DAY = 86_400_000;

type Sample = Record<string, unknown>;
type Call = OutputProbe['call'];

/**
 * The store behind an entity repository, to reach the module's custom repositories on the same
 * store: output parity hands each probe the generic Mongo and Postgres repositories.
 */
function storeOf(repo: EntityRepository<Entity>): { unknowns: UnknownsRepository; triage: TriageQueueRepository } {
  if (repo instanceof PostgresRepository) return { unknowns: new PostgresBitemporalRepository(unknown, repo.ds), triage: new PostgresTriageQueue(repo.ds) };
  if (repo instanceof MongoRepository) return { unknowns: new MongoBitemporalRepository(unknown, repo.db), triage: new MongoTriageQueue(repo.db) };
  throw new Error(`Excititor probes need a MongoRepository or a PostgresRepository, got ${repo.constructor.name}`);
}

const items = async (page: Promise<{ items: unknown[] }>) => (await page).items;

/** Every page of a paged call, gathered with a small page size (paging is part of what is compared). */
async function allPages<T>(fetch: (after: string | null) => Promise<{ items: T[]; next: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await fetch(after);
    out.push(...page.items);
    if (!page.next) return out;
    after = page.next;
  }
  throw new Error('paging did not end');
}

/** Probes built from up to `perTenant` samples of an entity per tenant; names carry the tenant's index. */
function fromSamples(inputs: ProbeInputs, entity: string, probe: string, make: (s: Sample) => Call, perTenant = 2): OutputProbe[] {
  const out: OutputProbe[] = [];
  inputs.tenants.forEach((tenant, ti) => {
    (inputs.samples.get(entity) ?? [])
      .filter((s) => s.tenantId === tenant)
      .slice(0, perTenant)
      .forEach((s, si) => out.push({ name: `${entity}.${probe}#t${ti}.${si}`, entity, call: make(s) }));
  });
  return out;
}

const once = (entity: string, probe: string, call: Call): OutputProbe => ({ name: `${entity}.${probe}`, entity, call });

/**
 * Excititor's module-specific output probes: the lookups and filtered lists services run (statements
 * of a vulnerability or a product, a provider's observations, facts by upstream id, open decisions,
 * a pair's timeline, pending raw documents), the triage queue (computed live on both stores, over the
 * retained timeline: parity runs read-only and cannot refresh the materialized view, which is tested
 * against the live aggregate after a refresh), and the bitemporal Unknowns: open rows, as-of snapshots at several
 * (system, valid) times, and each sampled subject's history and as-of answer.
 */
export function excititorProbes(inputs: ProbeInputs): OutputProbe[] {
  const now = inputs.now;
  const rawRecent = new Date(now.getTime() - RAW_WINDOW_DAYS * DAY);
  const horizon = timelineHorizon(now);
  const times: [string, Date][] = [
    ['now', now],
    ['d10', new Date(now.getTime() - 10 * DAY)],
    ['d20', new Date(now.getTime() - 20 * DAY)],
    ['d27', new Date(now.getTime() - 27 * DAY)],
  ];
  const probes: OutputProbe[] = [
    ...fromSamples(inputs, 'statement', 'ofVulnerability', (s) => (repo, ctx) => items(repo.list(ctx, { where: { vulnerabilityId: s.vulnerabilityId } as never, order: 'default', limit: 200 }))),
    ...fromSamples(inputs, 'statement', 'ofProduct', (s) => (repo, ctx) => items(repo.list(ctx, { where: { productKey: s.productKey } as never, order: 'byProduct', limit: 200 }))),
    ...fromSamples(inputs, 'statement', 'ofDocument', (s) => (repo, ctx) => items(repo.list(ctx, { where: { documentDigest: s.documentDigest } as never, order: 'default', limit: 200 })), 1),
    ...fromSamples(inputs, 'observation', 'ofProvider', (s) => (repo, ctx) => items(repo.list(ctx, { where: { providerId: s.providerId } as never, order: 'byProvider', limit: 50 })), 1),
    ...fromSamples(inputs, 'observation', 'ofStream', (s) => (repo, ctx) => items(repo.list(ctx, { where: { streamId: s.streamId } as never, order: 'byStream', limit: 50 })), 1),
    ...fromSamples(inputs, 'linkset', 'ofPair', (s) => (repo, ctx) => repo.findOne(ctx, { vulnerabilityId: s.vulnerabilityId, productKey: s.productKey } as never), 1),
    ...fromSamples(inputs, 'consensus', 'ofProduct', (s) => (repo, ctx) => items(repo.list(ctx, { where: { productKey: s.productKey } as never, order: 'default', limit: 50 })), 1),
    ...fromSamples(inputs, 'vuln_fact', 'byUpstreamId', (s) => (repo, ctx) => items(repo.list(ctx, { where: { source: s.source, externalId: s.externalId ?? null } as never, order: 'bySource', limit: 50 }))),
    ...fromSamples(inputs, 'package', 'ofEcosystem', (s) => (repo, ctx) => items(repo.list(ctx, { where: { ecosystem: s.ecosystem } as never, order: 'byName', limit: 100 })), 1),
    ...fromSamples(inputs, 'vex_decision', 'ofVulnerability', (s) => (repo, ctx) => items(repo.list(ctx, { where: { vulnId: s.vulnId } as never, order: 'byVuln', limit: 100 })), 1),
    ...fromSamples(inputs, 'vex_decision', 'ofPackage', (s) => (repo, ctx) => items(repo.list(ctx, { where: { packageId: s.packageId } as never, order: 'default', limit: 100 })), 1),
    ...fromSamples(inputs, 'vex_decision', 'triageItem', (s) => (repo, ctx) => storeOf(repo).triage.get(ctx, s.packageId as string, s.vulnId as string, { live: true, eventsSince: horizon })),
    ...fromSamples(inputs, 'timeline_event', 'ofPair', (s) => (repo, ctx) =>
      items(repo.list(ctx, { where: { packageId: s.packageId, vulnId: s.vulnId } as never, range: { field: 'occurredAt', gte: horizon }, order: 'byPair', limit: 100 }))),
    ...fromSamples(inputs, 'unknown', 'history', (s) => (repo, ctx) => storeOf(repo).unknowns.history(ctx, s.subjectHash as string, s.kind as string)),
    ...fromSamples(inputs, 'unknown', 'subjectAsOf', (s) => async (repo, ctx) => {
      const u = storeOf(repo).unknowns;
      const out: Record<string, unknown> = {};
      for (const [sn, st] of times) for (const [vn, vt] of times) out[`${sn}/${vn}`] = await u.subjectAsOf(ctx, s.subjectHash as string, s.kind as string, { systemTime: st, validTime: vt });
      return out;
    }),
    once('vex_decision', 'openByStatus', (repo, ctx) => items(repo.list(ctx, { where: { status: 'affected' } as never, order: 'byStatus', limit: 100 }))),
    once('vex_decision', 'triageQueue', (repo, ctx) => allPages((after) => storeOf(repo).triage.list(ctx, { after, limit: 7, live: true, eventsSince: horizon }))),
    once('raw_document', 'pendingRecent', (repo, ctx) => items(repo.list(ctx, { where: { processedAt: null } as never, range: { field: 'retrievedAt', gte: rawRecent }, order: 'default', limit: 100 }))),
    once('unknown', 'current', (repo, ctx) => allPages((after) => storeOf(repo).unknowns.current(ctx, { after, limit: 5 }))),
  ];
  for (const [sn, st] of times) {
    for (const [vn, vt] of times) {
      probes.push(once('unknown', `asOf.${sn}.${vn}`, (repo, ctx: TenantContext) => allPages((after) => storeOf(repo).unknowns.asOf(ctx, { systemTime: st, validTime: vt }, { after, limit: 5 }))));
    }
  }
  return probes;
}
