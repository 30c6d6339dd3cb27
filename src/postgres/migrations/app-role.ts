import { ident, type PostgresDataSource } from '../data-source.js';
import { withDataSource } from './data-source-for.js';

/**
 * The NOLOGIN group role the application's login roles are members of. `core`'s `002_app_role.sql`
 * creates it and gives it, through default privileges, DML on every table the migrating role creates.
 */
export const APP_GROUP_ROLE = 'stellaops_app';

/**
 * Makes `loginRole` a member of {@link APP_GROUP_ROLE}. Idempotent, and safe when several processes do
 * it at once. Run after the core migrations (they create the group role).
 *
 * @example
 * await grantAppRole(process.env.POSTGRES_ADMIN_URL!, new URL(process.env.POSTGRES_URL!).username);
 */
export async function grantAppRole(adminUrlOrDs: string | PostgresDataSource, loginRole: string): Promise<void> {
  await withDataSource(adminUrlOrDs, async (ds) => {
    if (await isMember(ds, loginRole)) return;
    try {
      await ds.query(`grant ${ident(APP_GROUP_ROLE)} to ${ident(loginRole)}`);
    } catch (err) {
      // A concurrent grant of the same membership fails one of the two; it is there all the same.
      if (await isMember(ds, loginRole)) return;
      const reason = (err as Error).message;
      const hint = /does not exist/.test(reason) ? ' (run the core migrations first: they create it)' : '';
      throw new Error(`Cannot grant ${APP_GROUP_ROLE} to ${loginRole}: ${reason}${hint}`, { cause: err });
    }
  }, 'stellaops-grant');
}

async function isMember(ds: PostgresDataSource, loginRole: string): Promise<boolean> {
  const { rows } = await ds.query<{ member: boolean }>(
    `select exists (
       select 1
         from pg_auth_members m
         join pg_roles g on g.oid = m.roleid
         join pg_roles u on u.oid = m.member
        where g.rolname = $1 and u.rolname = $2
     ) as member`,
    [APP_GROUP_ROLE, loginRole],
  );
  return rows[0]?.member === true;
}
