import { expect } from 'chai';
import pg from 'pg';
import { ExcititorCustomTokens } from '../../src/interfaces/excititor.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import type { UnknownsRepository } from '../../src/interfaces/unknowns.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

async function caught(fn: () => Promise<unknown>): Promise<Error | undefined> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

describe('Unknowns on PostgreSQL: the history is never rewritten, one open row per subject', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  let ctx: TenantContext;
  let closedId: string;
  let openId: string;
  const repo = () => t.runtime.get<UnknownsRepository>(ExcititorCustomTokens.unknowns);
  /** As the application role, inside the tenant's unit of work (row-level security applies). */
  const app = (sql: string, params: unknown[] = []) => t.runtime.postgres!.withTenant(ctx, (tx) => tx.query(sql, params));

  before(async () => {
    t = await startTestRuntime('Postgres', { modules: [excititorModule] });
    ctx = t.tenant();
    await repo().record(ctx, { subjectHash: 'guarded', kind: 'missing_vex', context: { v: 1 }, validFrom: new Date('2026-01-01T00:00:00Z') });
    const change = await repo().record(ctx, { subjectHash: 'guarded', kind: 'missing_vex', context: { v: 2 }, validFrom: new Date('2026-02-01T00:00:00Z') });
    closedId = change.closed[0]!.id;
    openId = change.opened.find((r) => r.validTo === null)!.id;
  });
  after(async () => t?.close());

  it('refuses to change what a row says (context, valid time, system start), even as the app role with its tenant', async () => {
    for (const [sql, id] of [
      [`update unknowns.unknown set context = '{"v":3}' where id = $1`, openId],
      [`update unknowns.unknown set valid_to = '2026-03-01T00:00:00Z' where id = $1`, openId],
      [`update unknowns.unknown set valid_from = '2025-01-01T00:00:00Z' where id = $1`, openId],
      [`update unknowns.unknown set sys_from = '2025-01-01T00:00:00Z' where id = $1`, openId],
      [`update unknowns.unknown set sys_to = now() where id = $1`, closedId],
      [`update unknowns.unknown set sys_to = null where id = $1`, closedId],
    ] as const) {
      const error = await caught(() => app(sql, [id]));
      expect(error?.message, sql).to.match(/history is never rewritten/);
    }
  });

  it('lets only the closing of a believed row through (what supersession does)', async () => {
    const extra = await repo().record(ctx, { subjectHash: 'closable', kind: 'missing_vex', context: {} });
    const id = extra.opened[0]!.id;
    await app(`update unknowns.unknown set sys_to = sys_from + interval '1 second', updated_at = updated_at + interval '1 second' where id = $1`, [id]);
    const res = await app(`select sys_to is not null as closed from unknowns.unknown where id = $1`, [id]);
    expect(res.rows[0].closed).to.equal(true);
  });

  it('refuses deletes: no DELETE privilege for the app role, and a trigger for everyone else', async () => {
    const asApp = await caught(() => app(`delete from unknowns.unknown where id = $1`, [closedId]));
    expect(asApp?.message).to.match(/permission denied/);
    const admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
    try {
      const asOwner = await caught(() => admin.query(`delete from unknowns.unknown where id = $1`, [closedId]));
      expect(asOwner?.message).to.match(/keeps its whole history/);
    } finally {
      await admin.end();
    }
  });

  it('refuses a second open row of a subject (unique partial index on believed, open-ended rows)', async () => {
    const error = await caught(() =>
      app(
        `insert into unknowns.unknown (id, tenant_id, subject_hash, kind, context, valid_from, sys_from, created_at, updated_at)
         values (gen_random_uuid(), $1, 'guarded', 'missing_vex', '{}', now(), now(), now(), now())`,
        [ctx.tenantId],
      ),
    );
    expect((error as { code?: string } | undefined)?.code).to.equal('23505');
    expect(error?.message).to.match(/unknown_one_open_per_subject/);
  });

  it("keeps each tenant's history to itself (row-level security as the application role)", async () => {
    const other = t.tenant();
    const asOther = (sql: string, params: unknown[] = []) => t.runtime.postgres!.withTenant(other, (tx) => tx.query(sql, params));
    expect((await asOther(`select count(*)::int as n from unknowns.unknown`)).rows[0].n).to.equal(0);
    expect((await asOther(`update unknowns.unknown set sys_to = now() where id = $1`, [openId])).rowCount).to.equal(0);
    const foreign = await caught(() =>
      asOther(
        `insert into unknowns.unknown (id, tenant_id, subject_hash, kind, context, valid_from, sys_from, created_at, updated_at)
         values (gen_random_uuid(), $1, 'x', 'missing_vex', '{}', now(), now(), now(), now())`,
        [ctx.tenantId],
      ),
    );
    expect((foreign as { code?: string } | undefined)?.code).to.equal('42501');
    expect((await app(`select count(*)::int as n from unknowns.unknown where sys_to is null and id = $1`, [openId])).rows[0].n).to.equal(1);
  });

  it('answers as-of through the SQL helpers, under row-level security', async () => {
    const feb = new Date('2026-02-15T00:00:00Z');
    const rows = (await app(`select context from unknowns.subject_as_of('guarded', 'missing_vex', now(), $1)`, [feb])).rows;
    expect(rows.map((r) => r.context)).to.deep.equal([{ v: 2 }]);
    const jan = (await app(`select context, valid_to from unknowns.as_of(now(), '2026-01-15T00:00:00Z') where subject_hash = 'guarded'`)).rows;
    expect(jan.map((r) => r.context)).to.deep.equal([{ v: 1 }]);
    const current = (await app(`select subject_hash from unknowns.current order by subject_hash collate "C"`)).rows.map((r) => r.subject_hash);
    expect(current).to.deep.equal(['guarded']);
    const other = t.tenant();
    const none = await t.runtime.postgres!.withTenant(other, (tx) => tx.query(`select count(*)::int as n from unknowns.as_of(now(), now())`));
    expect(none.rows[0].n).to.equal(0);
    const noTenant = await t.runtime.postgres!.transaction((tx) => tx.query(`select count(*)::int as n from unknowns.current`));
    expect(noTenant.rows[0].n).to.equal(0);
  });
});
