import type { ModuleDefinition, PartitionedTable } from '../interfaces/module-definition.js';
import type { PostgresDataSource, Tx } from './data-source.js';
import { qualified } from './data-source.js';
import { withDataSource } from './migrations/data-source-for.js';

/**
 * Monthly partition maintenance (docs/design.md §4.4, docs/postgres-patterns.md §6) over the SQL helpers of core 030.
 *
 * How a row always finds its partition: a module's migration creates the months from its retention
 * horizon to three months ahead, so a fresh database accepts writes at once; `partitions maintain`,
 * run on a schedule (daily is plenty), keeps `monthsAhead` months ahead of now and fills any gap back
 * to the horizon; the conversion engine ensures the month of every row it loads
 * (`core.ensure_monthly_partition`). There is no DEFAULT partition: a row in a month nobody prepared
 * fails loudly instead of hiding where retention never reaches it.
 *
 * Retention: every partition whose upper bound is at or before `month start of now - retentionMonths`
 * holds only expired rows; it is DETACHed and DROPped (constant time, whatever its size). Rows are
 * never DELETEd. Each table is maintained in one transaction under the table's advisory lock, tables
 * in a fixed order, so concurrent and repeated runs are safe and converge on the same state.
 */

export interface PartitionInfo {
  /** `schema.partition` */
  readonly name: string;
  /** Inclusive lower bound (null: MINVALUE). */
  readonly from: Date | null;
  /** Exclusive upper bound (null: MAXVALUE). */
  readonly to: Date | null;
  readonly isDefault: boolean;
}

export interface TableMaintenance {
  /** `schema.table` */
  readonly table: string;
  /** False when the table does not exist (its module is not migrated here): nothing was done. */
  readonly exists: boolean;
  readonly retentionMonths: number;
  /** Partitions wholly before this instant are dropped. */
  readonly dropBefore: Date;
  /** Months ensured: from the first kept month to `monthsAhead` months after the current one. */
  readonly ensuredFrom: Date;
  readonly ensuredTo: Date;
  /** Partitions this run created (or would create, dry run), in month order. */
  readonly created: string[];
  /** Partitions this run detached and dropped (or would, dry run), with their bounds. */
  readonly dropped: PartitionInfo[];
  /** Partitions after the run (dry run: as they are now). */
  readonly partitions: PartitionInfo[];
}

export interface MaintenanceReport {
  readonly now: Date;
  readonly monthsAhead: number;
  readonly dryRun: boolean;
  readonly tables: TableMaintenance[];
}

export interface MaintainOptions {
  /** Months created ahead of the current one (config Partitions.MonthsAhead). */
  readonly monthsAhead: number;
  readonly dryRun?: boolean;
  /** Reference time (tests); default now. */
  readonly now?: Date;
  readonly log?: (line: string) => void;
}

/** The first instant of the UTC month of `at`, moved by `offsetMonths`. */
export function monthStartUtc(at: Date, offsetMonths = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offsetMonths, 1));
}

/** Every partitioned table the modules declare, in a stable order (schema, table). */
export function partitionedTablesOf(modules: readonly ModuleDefinition[]): PartitionedTable[] {
  return modules
    .flatMap((m) => m.partitions ?? [])
    .slice()
    .sort((a, b) => `${a.schema}.${a.table}`.localeCompare(`${b.schema}.${b.table}`, 'en'));
}

/** A table's partitions with their bounds, in bound order (default partition last). */
export async function listPartitions(q: Pick<Tx, 'query'>, table: PartitionedTable | string): Promise<PartitionInfo[]> {
  const name = typeof table === 'string' ? table : qualified(table.schema, table.table);
  const res = await q.query<{ name: string; lower_bound: Date | null; upper_bound: Date | null; is_default: boolean }>(
    `select name, lower_bound, upper_bound, is_default from core.partition_bounds($1::regclass)`,
    [name],
  );
  return res.rows.map((r) => ({ name: r.name, from: r.lower_bound, to: r.upper_bound, isDefault: r.is_default }));
}

/**
 * Creates the partitions ahead and back to the retention horizon and drops the expired ones, table by
 * table, and reports what it did (or, with `dryRun`, what it would do, changing nothing).
 *
 * @param adminUrlOrDs the owner role (DDL): POSTGRES_ADMIN_URL
 * @example
 * const report = await maintainPartitions(adminUrl, partitionedTablesOf(MODULES), { monthsAhead: 3 });
 * for (const t of report.tables) console.log(t.table, t.created, t.dropped.map((p) => p.name));
 */
export async function maintainPartitions(
  adminUrlOrDs: string | PostgresDataSource,
  tables: readonly PartitionedTable[],
  options: MaintainOptions,
): Promise<MaintenanceReport> {
  if (!Number.isInteger(options.monthsAhead) || options.monthsAhead < 0 || options.monthsAhead > 120) {
    throw new RangeError(`monthsAhead must be an integer from 0 to 120, got ${options.monthsAhead}`);
  }
  const now = options.now ?? new Date();
  const dryRun = options.dryRun ?? false;
  const log = options.log ?? (() => {});
  const ordered = [...tables].sort((a, b) => `${a.schema}.${a.table}`.localeCompare(`${b.schema}.${b.table}`, 'en'));
  return withDataSource(
    adminUrlOrDs,
    async (ds) => {
      const results: TableMaintenance[] = [];
      for (const table of ordered) {
        const result = await ds.transaction((tx) => maintainTable(tx, table, now, options.monthsAhead, dryRun));
        log(describeMaintenance(result, dryRun));
        results.push(result);
      }
      return { now, monthsAhead: options.monthsAhead, dryRun, tables: results };
    },
    'stellaops-partitions',
  );
}

async function maintainTable(tx: Tx, table: PartitionedTable, now: Date, monthsAhead: number, dryRun: boolean): Promise<TableMaintenance> {
  if (!Number.isInteger(table.retentionMonths) || table.retentionMonths < 1) {
    throw new RangeError(`${table.schema}.${table.table}: retentionMonths must be a positive integer, got ${table.retentionMonths}`);
  }
  const name = qualified(table.schema, table.table);
  const display = `${table.schema}.${table.table}`;
  const dropBefore = monthStartUtc(now, -table.retentionMonths);
  // The oldest month kept is the one starting at dropBefore; ensuring from there never recreates a
  // partition this run drops.
  const ensuredFrom = dropBefore;
  const ensuredTo = monthStartUtc(now, monthsAhead);
  const base = { table: display, retentionMonths: table.retentionMonths, dropBefore, ensuredFrom, ensuredTo };
  const exists = await tx.query<{ oid: string | null }>(`select to_regclass($1)::text as oid`, [name]);
  if (!exists.rows[0]?.oid) return { ...base, exists: false, created: [], dropped: [], partitions: [] };

  let created: string[];
  if (dryRun) {
    const current = await listPartitions(tx, name);
    created = [];
    for (let m = ensuredFrom; m.getTime() <= ensuredTo.getTime(); m = monthStartUtc(m, 1)) {
      const covered = current.some((p) => !p.isDefault && (p.from === null || p.from.getTime() <= m.getTime()) && (p.to === null || m.getTime() < p.to.getTime()));
      if (!covered) created.push(`${display}_p${m.getUTCFullYear()}${String(m.getUTCMonth() + 1).padStart(2, '0')}`);
    }
  } else {
    const res = await tx.query<{ partition: string; created: boolean }>(
      `select partition, created from core.ensure_monthly_partitions($1::regclass, $2, $3)`,
      [name, ensuredFrom, ensuredTo],
    );
    created = res.rows.filter((r) => r.created).map((r) => r.partition);
  }
  const drop = await tx.query<{ partition: string; lower_bound: Date | null; upper_bound: Date }>(
    `select partition, lower_bound, upper_bound from core.drop_expired_partitions($1::regclass, $2, $3)`,
    [name, dropBefore, dryRun],
  );
  const dropped = drop.rows.map((r) => ({ name: r.partition, from: r.lower_bound, to: r.upper_bound, isDefault: false }));
  return { ...base, exists: true, created, dropped, partitions: await listPartitions(tx, name) };
}

function month(d: Date | null): string {
  return d ? d.toISOString().slice(0, 7) : '-';
}

/** One line per table, as the CLI prints it. */
export function describeMaintenance(t: TableMaintenance, dryRun: boolean): string {
  if (!t.exists) return `${t.table}: table not found (module not migrated here); skipped`;
  const would = dryRun ? 'would ' : '';
  const span = t.partitions.length ? ` (${month(t.partitions[0]!.from)} .. ${month(t.partitions[t.partitions.length - 1]!.from)})` : '';
  const created = t.created.length ? `${would}create ${t.created.join(', ')}` : 'nothing to create';
  const dropped = t.dropped.length
    ? `${would}detach and drop ${t.dropped.map((p) => `${p.name} [${month(p.from)}]`).join(', ')}`
    : 'nothing expired';
  return `${t.table}: ${t.partitions.length} partitions${span}; ${created}; ${dropped} (retention ${t.retentionMonths} months: before ${t.dropBefore.toISOString().slice(0, 10)})`;
}

/**
 * Creates the months from the current one to `monthsAhead` ahead for every table, and nothing else
 * (no retention): what a service does at start-up, so it never outlives the months created when it
 * was migrated. Idempotent and safe concurrently (ensure_monthly_partition locks per parent).
 *
 * @example
 * await ensurePartitionsAhead(adminUrl, partitionedTablesOf(modules), 3);
 */
export async function ensurePartitionsAhead(adminUrlOrDs: string | PostgresDataSource, tables: readonly PartitionedTable[], monthsAhead: number, now: Date = new Date()): Promise<number> {
  if (tables.length === 0) return 0;
  return withDataSource(
    adminUrlOrDs,
    async (ds) => {
      let created = 0;
      for (const table of tables) {
        const res = await ds.query<{ n: number }>(
          `select count(*) filter (where created)::int as n from core.ensure_monthly_partitions($1::regclass, $2, $3)`,
          [qualified(table.schema, table.table), monthStartUtc(now), monthStartUtc(now, monthsAhead)],
        );
        created += res.rows[0]!.n;
      }
      return created;
    },
    'stellaops-partitions',
  );
}
