import type { Command } from 'commander';
import { adminUrlOf, tenantPinsOf } from '../../config/persistence-config.js';
import { TENANT_NAMESPACE, TenantRegistry, type TenantOrigin } from '../../codec/tenant-registry.js';
import { fieldOf, isTenantScoped } from '../../codec/fields.js';
import { connectMongo } from '../../mongo/mongo-data-source.js';
import { withDataSource } from '../../postgres/migrations/data-source-for.js';
import { readRecordedTenants, tenantConflicts, type RecordedTenant } from '../../postgres/tenant-registry-store.js';
import { configFrom, ExitCode, out, withConfigOption } from '../cli-support.js';
import { selectModules } from './module-options.js';

/** One line of `tenants list`. */
export interface TenantListRow {
  readonly key: string;
  /** The UUID the key maps to now (its pin, else UUIDv5 of the key). */
  readonly tenantId: string;
  readonly origin: TenantOrigin;
  /** What core.tenant_registry holds for the key (null: not converted yet). */
  readonly recorded: { readonly tenantId: string; readonly origin: TenantOrigin; readonly by: string; readonly at: string } | null;
  /** With --scan: the legacy collections whose documents name the key. */
  readonly collections?: readonly string[];
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `tenants list [--json] [--scan [--module M...]]`: the named legacy tenant keys and their tenant
 * UUIDs: the config's pins, the keys conversion recorded in core.tenant_registry, and with --scan the
 * keys found in the legacy collections (README "Tenant registry"). Reads only. Exit 1 when a pin
 * contradicts a recorded key, or a scanned key cannot be a tenant.
 */
export function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('The tenant registry: named legacy tenant keys and their tenant UUIDs');
  withConfigOption(
    tenants
      .command('list')
      .description('List legacy tenant keys with their UUID: pinned (config Tenants), recorded by conversion (core.tenant_registry), found in MongoDB (--scan)')
      .option('--scan', 'also find the tenant keys in the legacy MongoDB collections (distinct tenantId)')
      .option('--module <names...>', 'with --scan: only these modules\u2019 collections (default: all)')
      .option('--json', 'print as JSON'),
  ).action(async (opts: { scan?: boolean; module?: string[]; json?: boolean; config?: string }) => {
    const config = configFrom(opts, { postgres: false, mongo: Boolean(opts.scan) });
    const registry = new TenantRegistry(tenantPinsOf(config));
    const adminUrl = adminUrlOf(config);
    const recorded: RecordedTenant[] | null = adminUrl ? await withDataSource(adminUrl, (ds) => readRecordedTenants(ds), 'stellaops-tenants') : null;
    const problems = tenantConflicts(registry, recorded ?? []);
    const found = new Map<string, Set<string>>();
    if (opts.scan) {
      const mongo = await connectMongo(config.Mongo.Url!, config.Mongo.Database);
      try {
        for (const module of selectModules(opts.module)) {
          for (const spec of module.entities.filter(isTenantScoped)) {
            for (const value of await mongo.db.collection(spec.collection).distinct(fieldOf(spec, 'tenantId').mongo)) {
              if (typeof value !== 'string' || TenantRegistry.isUuidKey(value)) continue;
              const uuid = registry.tryUuidOf(value);
              if (uuid === null) {
                problems.push(`${spec.collection}: tenant key ${JSON.stringify(value.slice(0, 60))} cannot be a tenant (conversion quarantines its documents)`);
                continue;
              }
              let where = found.get(value);
              if (!where) found.set(value, (where = new Set()));
              where.add(spec.collection);
            }
          }
        }
      } finally {
        await mongo.close();
      }
    }
    const recordedByKey = new Map((recorded ?? []).map((r) => [r.key, r]));
    const pins = new Map(registry.pinned().map((p) => [p.key, p.tenantId]));
    const keys = [...new Set([...pins.keys(), ...recordedByKey.keys(), ...found.keys()])].sort(byCodeUnit);
    const rows: TenantListRow[] = keys.map((key) => {
      const r = recordedByKey.get(key);
      return {
        key,
        tenantId: pins.get(key) ?? TenantRegistry.derived(key),
        origin: pins.has(key) ? 'pinned' : 'derived',
        recorded: r ? { tenantId: r.tenantId, origin: r.origin, by: r.recordedBy, at: r.recordedAt.toISOString() } : null,
        ...(opts.scan ? { collections: [...(found.get(key) ?? [])].sort(byCodeUnit) } : {}),
      };
    });
    if (opts.json) {
      out(JSON.stringify({ namespace: TENANT_NAMESPACE, registry: recorded === null ? (adminUrl ? 'core.tenant_registry does not exist yet (run migrate)' : 'no PostgreSQL configured') : 'core.tenant_registry', tenants: rows, problems, ok: problems.length === 0 }, null, 2));
    } else {
      if (!rows.length) out('no named tenant keys (pinned, recorded or found); documents naming their tenant by UUID need none');
      for (const row of rows) {
        const rec = row.recorded ? `recorded by ${row.recorded.by} at ${row.recorded.at}` : 'not recorded yet';
        const where = row.collections?.length ? `; in ${row.collections.join(', ')}` : '';
        out(`${JSON.stringify(row.key)} -> ${row.tenantId} (${row.origin}; ${rec}${where})`);
      }
      if (recorded === null) out(adminUrl ? 'note: core.tenant_registry does not exist yet (run migrate)' : 'note: no PostgreSQL configured: recorded keys not shown');
      for (const p of problems) out(`CONFLICT: ${p}`);
    }
    if (problems.length) throw new ExitCode(1);
  });
}
