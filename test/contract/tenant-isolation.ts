import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { prepareInsert } from '../../src/codec/entity-lifecycle.js';
import { fieldOf, isTenantScoped } from '../../src/codec/fields.js';
import { systemClock } from '../../src/interfaces/clock.js';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { ident } from '../../src/postgres/data-source.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { toParams } from '../../src/postgres/row-codec.js';
import type { ModuleSamples } from './repository-contract.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

/**
 * Tenant isolation enforced by PostgreSQL itself (RLS), tested with plain SQL as the application
 * role on every tenant table of a module: another tenant's rows cannot be read, updated or
 * deleted; inserting a row for another tenant fails; no tenant set means no rows.
 */
export function describeTenantIsolation(module: ModuleDefinition, samples: ModuleSamples): void {
  describe(`${module.name}: tenant isolation as the application role`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let app: pg.Client;
    before(async () => {
      t = await startTestRuntime('Postgres', { modules: [module] });
      app = new pg.Client({ connectionString: t.db.appUrl });
      await app.connect();
    });
    after(async () => {
      await app?.end();
      await t?.close();
    });

    const rowFor = (spec: EntitySpec, tenantId: string, i: number) => {
      const entity = prepareInsert(spec, tenantContext(tenantId), samples[spec.name]!.make(i), systemClock);
      return toParams(spec, entity as unknown as Record<string, unknown>);
    };
    const insertSql = (spec: EntitySpec, columns: string[]) =>
      `insert into ${tableOf(spec)} (${columns.map(ident).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning id`;
    const asTenant = async <T>(tenantId: string | null, fn: () => Promise<T>): Promise<T> => {
      await app.query('begin');
      try {
        if (tenantId) await app.query("select set_config('app.tenant_id', $1, true)", [tenantId]);
        return await fn();
      } finally {
        await app.query('rollback');
      }
    };

    it('connects as a role that is neither superuser, owner nor BYPASSRLS', async () => {
      const r = await app.query('select rolsuper, rolbypassrls from pg_roles where rolname = current_user');
      expect(r.rows[0]).to.deep.equal({ rolsuper: false, rolbypassrls: false });
      for (const spec of module.entities.filter(isTenantScoped)) {
        const owner = await app.query('select pg_has_role(relowner, \'USAGE\') as owns from pg_class where oid = $1::regclass', [`${spec.schema}.${spec.table}`]);
        expect(owner.rows[0].owns, spec.table).to.equal(false);
      }
    });

    for (const spec of module.entities.filter(isTenantScoped)) {
      it(`${spec.schema}.${spec.table}: other tenants' rows are invisible and untouchable`, async () => {
        const a = randomUUID();
        const b = randomUUID();
        const { columns, params } = rowFor(spec, a, 1);
        const inserted = await asTenant(a, async () => {
          const r = await app.query(insertSql(spec, columns), params);
          await app.query('commit');
          await app.query('begin');
          return r.rows[0].id as string;
        });
        const key = ident(fieldOf(spec, 'updatedAt').column);
        await asTenant(b, async () => {
          expect((await app.query(`select count(*)::int as n from ${tableOf(spec)}`)).rows[0].n, 'select').to.equal(0);
          expect((await app.query(`update ${tableOf(spec)} set ${key} = ${key} where id = $1`, [inserted])).rowCount, 'update').to.equal(0);
          expect((await app.query(`delete from ${tableOf(spec)} where id = $1`, [inserted])).rowCount, 'delete').to.equal(0);
        });
        await asTenant(null, async () => {
          expect((await app.query(`select count(*)::int as n from ${tableOf(spec)}`)).rows[0].n, 'no tenant set').to.equal(0);
        });
        await asTenant(a, async () => {
          expect((await app.query(`select count(*)::int as n from ${tableOf(spec)}`)).rows[0].n, 'own rows').to.equal(1);
        });
        const other = rowFor(spec, a, 2);
        let error: unknown;
        await asTenant(b, async () => {
          try {
            await app.query(insertSql(spec, other.columns), other.params);
          } catch (err) {
            error = err;
          }
        });
        expect((error as { code?: string })?.code, 'insert for another tenant').to.equal('42501');
      });
    }

    it('never leaks the tenant of one pooled unit of work to the next', async () => {
      const ds = t.runtime.postgres!;
      const pool = new pg.Pool({ connectionString: t.db.appUrl, max: 1 });
      try {
        const client = await pool.connect();
        await client.query('begin');
        await client.query("select set_config('app.tenant_id', $1, true)", [randomUUID()]);
        await client.query('commit');
        client.release();
        const again = await pool.connect();
        const r = await again.query("select nullif(current_setting('app.tenant_id', true), '') as tenant");
        again.release();
        expect(r.rows[0].tenant).to.equal(null);
      } finally {
        await pool.end();
      }
      // The data source itself: a unit of work for A, then a bare query on the same pooled connections.
      const seen = new Set<string | null>();
      for (let i = 0; i < 10; i++) {
        await ds.withTenant(tenantContext(randomUUID()), (tx) => tx.query('select 1'));
        const r = await ds.query<{ tenant: string | null }>("select nullif(current_setting('app.tenant_id', true), '') as tenant");
        seen.add(r.rows[0]!.tenant);
      }
      expect([...seen]).to.deep.equal([null]);
    });
  });
}
