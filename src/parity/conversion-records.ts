import type { PostgresDataSource } from '../postgres/data-source.js';

/**
 * What the conversion engine recorded, read by parity: the quarantine (documents that could not be
 * converted, with their reason) and each job's reference time (the "now" its tier-B window used).
 * Both tables come with core migration 020; before it exists, there is simply nothing recorded.
 */
export interface ConversionRecords {
  /** Canonical legacy id -> quarantine reason, for one module and collection. */
  quarantine(module: string, collection: string): Promise<Map<string, string>>;
  /** `core.conversion_job.reference_time` of job `<Module>/<collection>`, or null. */
  referenceTime(module: string, collection: string): Promise<Date | null>;
}

async function tableExists(ds: PostgresDataSource, name: string): Promise<boolean> {
  const res = await ds.query<{ present: boolean }>('select to_regclass($1) is not null as present', [name]);
  return res.rows[0]?.present === true;
}

/**
 * Reads the conversion tables through an admin data source.
 *
 * @example
 * const records = await conversionRecords(adminDs);
 * const reasons = await records.quarantine('Authority', 'authority_users');
 */
export async function conversionRecords(ds: PostgresDataSource): Promise<ConversionRecords> {
  const hasQuarantine = await tableExists(ds, 'core.conversion_quarantine');
  const hasJobs = await tableExists(ds, 'core.conversion_job');
  return {
    async quarantine(module, collection) {
      const out = new Map<string, string>();
      if (!hasQuarantine) return out;
      let res;
      try {
        res = await ds.query<{ legacy_id: string; reason: string }>(
          'select legacy_id, reason from core.conversion_quarantine where module = $1 and collection = $2 order by legacy_id',
          [module, collection],
        );
      } catch (err) {
        // core 021: the quarantine is the maintenance role's alone (the application role has no access).
        if ((err as { code?: string }).code !== '42501') throw err;
        throw new Error(
          'verify reads core.conversion_quarantine across tenants, but the PostgreSQL admin role (POSTGRES_ADMIN_URL) has no access to it (it is the maintenance role\'s): ' +
            'use the owner, a superuser or a role with BYPASSRLS for verify',
          { cause: err },
        );
      }
      for (const row of res.rows) out.set(row.legacy_id, row.reason);
      return out;
    },
    async referenceTime(module, collection) {
      if (!hasJobs) return null;
      const res = await ds.query<{ reference_time: Date | null }>('select reference_time from core.conversion_job where job_id = $1', [`${module}/${collection}`]);
      return res.rows[0]?.reference_time ?? null;
    },
  };
}
