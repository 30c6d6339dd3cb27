import type { Entity } from '../../interfaces/entity-spec.js';
import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { EntityRepository, ListQuery } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { DAY_MS } from './entities.js';
import { listAll } from '../../interfaces/list-all.js';

/**
 * A module probe, with the declared order its list answers in: parity compares list outputs in that
 * order, sorting only runs of equal sort keys by id (MongoDB breaks such ties by `_id`, PostgreSQL by
 * `id`; both are right).
 */
export type OrderedProbe = OutputProbe & { readonly order?: string };

/**
 * Every item of a list, read page by page (small pages, so keyset paging is exercised too), as one
 * array: tier-B items the legacy side still holds are then left out of the comparison item by item.
 */
export function allPages(repo: EntityRepository<Entity>, ctx: TenantContext, query: ListQuery<Entity>, pageSize = 7): Promise<Entity[]> {
  return listAll(repo, ctx, query, { pageSize });
}

/** A probe listing `entity` in `order` with the query `query(ctx)` builds (null: no answer for this tenant). */
export function listProbe(
  name: string,
  entity: string,
  order: string,
  query: (ctx: TenantContext) => Omit<ListQuery<Entity>, 'order' | 'after' | 'limit'> | null,
): OrderedProbe {
  return {
    name,
    entity,
    order,
    call: async (repo, ctx) => {
      const q = query(ctx);
      return q ? allPages(repo, ctx, { ...q, order }) : null;
    },
  };
}

/** The `index`-th sample of an entity for the probe's tenant, or null when the tenant has fewer. */
export function sampleOf(inputs: ProbeInputs, entity: string, ctx: TenantContext, index: number): Record<string, unknown> | null {
  const mine = (inputs.samples.get(entity) ?? []).filter((e) => e.tenantId === ctx.tenantId);
  return mine[index] ?? null;
}

/**
 * Scheduler's output-parity probes: the module's real questions (runs of a schedule in a time range,
 * runs and jobs by state, a policy's jobs, logs of a run, a snapshot by id), on top of the generic
 * probes derived from the declarations. Each returns every page, so order and paging are compared too.
 */
export function schedulerProbes(inputs: ProbeInputs): readonly OutputProbe[] {
  const now = inputs.now;
  const lastDays = (days: number) => ({ field: 'createdAt', gte: new Date(now.getTime() - days * DAY_MS), lt: now });
  const sample = (entity: string, ctx: TenantContext, i = 0) => sampleOf(inputs, entity, ctx, i);
  const probes: OrderedProbe[] = [];
  for (const i of [0, 1]) {
    probes.push(listProbe(`run.ofSchedule.last30Days#${i}`, 'run', 'default', (ctx) => {
      const s = sample('run', ctx, i);
      return s?.scheduleId ? { where: { scheduleId: s.scheduleId } as never, range: lastDays(30) } : null;
    }));
  }
  for (const state of ['running', 'completed', 'error']) {
    probes.push(listProbe(`run.byState.${state}`, 'run', 'byState', () => ({ where: { state } as never })));
  }
  probes.push(listProbe('run.last7Days', 'run', 'default', () => ({ range: lastDays(7) })));
  for (const status of ['pending', 'running', 'failed']) {
    probes.push(listProbe(`graph_job.byStatus.${status}`, 'graph_job', 'byStatus', () => ({ where: { status } as never })));
    probes.push(listProbe(`policy_job.byStatus.${status}`, 'policy_job', 'byStatus', () => ({ where: { status } as never })));
  }
  probes.push(listProbe('policy_job.ofPolicy#0', 'policy_job', 'byPolicy', (ctx) => {
    const s = sample('policy_job', ctx);
    return s ? { where: { policyId: s.policyId } as never } : null;
  }));
  probes.push(listProbe('graph_job.ofSbom#0', 'graph_job', 'bySbom', (ctx) => {
    const s = sample('graph_job', ctx);
    return s ? { where: { sbomId: s.sbomId } as never } : null;
  }));
  probes.push({
    name: 'impact_snapshot.bySnapshotId#0',
    entity: 'impact_snapshot',
    call: async (repo, ctx) => {
      const s = sample('impact_snapshot', ctx);
      return s ? repo.findOne(ctx, { snapshotId: s.snapshotId } as never) : null;
    },
  });
  probes.push(listProbe('impact_snapshot.last30Days', 'impact_snapshot', 'default', () => ({ range: { field: 'generatedAt', gte: new Date(now.getTime() - 30 * DAY_MS), lt: now } })));
  probes.push(listProbe('execution_log.ofRun#0', 'execution_log', 'byRun', (ctx) => {
    const s = sample('execution_log', ctx);
    return s ? { where: { runId: s.runId } as never } : null;
  }));
  probes.push(listProbe('execution_log.errors', 'execution_log', 'default', () => ({ where: { level: 'error' } as never })));
  probes.push(listProbe('schedule.enabled', 'schedule', 'default', () => ({ where: { enabled: true } as never })));
  probes.push({
    name: 'schedule.byName#0',
    entity: 'schedule',
    call: async (repo, ctx) => {
      const s = sample('schedule', ctx);
      return s ? repo.findOne(ctx, { name: s.name } as never) : null;
    },
  });
  return probes;
}
