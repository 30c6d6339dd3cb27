import type { Entity } from '../../interfaces/entity-spec.js';
import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import type { EntityRepository, ListQuery, Page } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { DAY_MS } from './entities.js';

/** Every page of a list, so a probe compares the whole answer and the paging with it. */
export async function allPages(repo: EntityRepository<Entity>, ctx: TenantContext, query: ListQuery<Entity>, pageSize = 50): Promise<Entity[][]> {
  const pages: Entity[][] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const page: Page<Entity> = await repo.list(ctx, { ...query, limit: pageSize, after });
    pages.push(page.items);
    if (!page.next) return pages;
    after = page.next;
  }
  throw new Error('probe paging did not end');
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
  const probes: OutputProbe[] = [];
  for (const i of [0, 1]) {
    probes.push({
      name: `run.ofSchedule.last30Days#${i}`,
      entity: 'run',
      call: async (repo, ctx) => {
        const s = sampleOf(inputs, 'run', ctx, i);
        if (!s?.scheduleId) return null;
        return allPages(repo, ctx, { where: { scheduleId: s.scheduleId } as never, range: lastDays(30) });
      },
    });
  }
  for (const state of ['running', 'completed', 'error']) {
    probes.push({ name: `run.byState.${state}`, entity: 'run', call: (repo, ctx) => allPages(repo, ctx, { where: { state } as never, order: 'byState' }) });
  }
  probes.push({ name: 'run.last7Days', entity: 'run', call: (repo, ctx) => allPages(repo, ctx, { range: lastDays(7) }) });
  for (const status of ['pending', 'running', 'failed']) {
    probes.push({ name: `graph_job.byStatus.${status}`, entity: 'graph_job', call: (repo, ctx) => allPages(repo, ctx, { where: { status } as never, order: 'byStatus' }) });
    probes.push({ name: `policy_job.byStatus.${status}`, entity: 'policy_job', call: (repo, ctx) => allPages(repo, ctx, { where: { status } as never, order: 'byStatus' }) });
  }
  probes.push({
    name: 'policy_job.ofPolicy#0',
    entity: 'policy_job',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'policy_job', ctx, 0);
      return s ? allPages(repo, ctx, { where: { policyId: s.policyId } as never, order: 'byPolicy' }) : null;
    },
  });
  probes.push({
    name: 'graph_job.ofSbom#0',
    entity: 'graph_job',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'graph_job', ctx, 0);
      return s ? allPages(repo, ctx, { where: { sbomId: s.sbomId } as never, order: 'bySbom' }) : null;
    },
  });
  probes.push({
    name: 'impact_snapshot.bySnapshotId#0',
    entity: 'impact_snapshot',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'impact_snapshot', ctx, 0);
      return s ? repo.findOne(ctx, { snapshotId: s.snapshotId } as never) : null;
    },
  });
  probes.push({
    name: 'execution_log.ofRun#0',
    entity: 'execution_log',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'execution_log', ctx, 0);
      return s ? allPages(repo, ctx, { where: { runId: s.runId } as never, order: 'byRun' }) : null;
    },
  });
  probes.push({ name: 'schedule.enabled', entity: 'schedule', call: (repo, ctx) => allPages(repo, ctx, { where: { enabled: true } as never }) });
  probes.push({
    name: 'schedule.byName#0',
    entity: 'schedule',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'schedule', ctx, 0);
      return s ? repo.findOne(ctx, { name: s.name } as never) : null;
    },
  });
  return probes;
}
