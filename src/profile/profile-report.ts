import type { CollectionProfile } from './collection-profile.js';

/**
 * The `profile` report of one module: one entry per legacy collection, in declaration order, and
 * its human form. Deterministic: the same legacy data and reference time give the same report
 * (everything is counted or sorted; nothing is sampled at random).
 */
export interface ProfileReport {
  readonly module: string;
  /** "now" of the tier-B windows (ISO). */
  readonly referenceTime: string;
  /** Documents profiled per collection at most (null: all). */
  readonly sample: number | null;
  readonly collections: readonly CollectionProfile[];
  readonly totals: { readonly documents: number; readonly wouldConvert: number; readonly skippedByTier: number; readonly quarantined: number };
}

export function profileReport(module: string, referenceTime: Date, sample: number | null, collections: readonly CollectionProfile[]): ProfileReport {
  const sum = (pick: (c: CollectionProfile) => number) => collections.reduce((n, c) => n + pick(c), 0);
  return {
    module,
    referenceTime: referenceTime.toISOString(),
    sample,
    collections,
    totals: { documents: sum((c) => c.documents), wouldConvert: sum((c) => c.wouldConvert), skippedByTier: sum((c) => c.skippedByTier), quarantined: sum((c) => c.quarantined) },
  };
}

const pct = (f: number) => `${(f * 100).toFixed(1).replace(/\.0$/, '')}%`;

/** The human lines of a report (what `profile` prints without --json). */
export function formatProfile(report: ProfileReport): string[] {
  const lines: string[] = [];
  const t = report.totals;
  lines.push(`${report.module}: ${report.collections.length} collection(s), ${t.documents} document(s) profiled${report.sample ? ` (first ${report.sample} per collection, in _id order)` : ''}; would convert ${t.wouldConvert}, skipped by tier ${t.skippedByTier}, quarantined ${t.quarantined} (tier-B windows at ${report.referenceTime})`);
  if (report.collections.some((c) => c.inexactTypes)) {
    lines.push('note: the source hands over decoded documents (memory: store), not their BSON: an Int64 or a Double that fits an Int32 shows as Int32');
  }
  for (const c of report.collections) {
    lines.push('');
    const of = c.collectionDocuments !== null ? ` of ${c.collectionDocuments}` : '';
    lines.push(`${c.module}/${c.collection} (${c.entity}, tier ${c.tier}${c.tierDescription ? `: ${c.tierDescription}` : ''}): ${c.documents}${of} document(s)`);
    lines.push(`  would convert ${c.wouldConvert}, skipped by tier ${c.skippedByTier}, quarantined ${c.quarantined}`);
    for (const g of c.quarantine) {
      lines.push(`  quarantine ${g.count} x ${g.reason}`);
      lines.push(`    e.g. ${g.legacyIds.join(', ')}${g.example !== g.reason ? ` (${g.example})` : ''}`);
    }
    for (const k of c.uniqueKeys) {
      const head = `  unique key (${k.key.join(', ')}): `;
      if (k.duplicateDocuments === 0) {
        lines.push(`${head}no duplicates`);
        continue;
      }
      lines.push(`${head}${k.duplicateDocuments} duplicate document(s) of ${k.duplicatedValues} value(s); per tenant: ${k.perTenant.map((p) => `${p.tenant} ${p.duplicates}`).join(', ')}`);
      for (const e of k.examples) {
        const value = Object.entries(e.value).map(([f, v]) => `${f}=${v === null ? 'null' : JSON.stringify(v)}`).join(' ');
        lines.push(`    ${e.duplicate} duplicates ${e.keptBy} (tenant ${e.tenant}: ${value})`);
      }
    }
    if (c.fields.length) lines.push('  fields (* = not declared):');
    const width = Math.min(32, Math.max(...c.fields.map((f) => f.name.length + 2), 4));
    for (const f of c.fields) {
      const name = `${f.name}${f.declared ? '' : ' *'}`.padEnd(width);
      const types = f.types.map((x) => `${x.type} ${pct(x.frequency)}`).join(', ');
      const inside = f.nestedTypes.length ? `; inside: ${f.nestedTypes.map((x) => `${x.type} ${x.count}`).join(', ')}` : '';
      const dollar = f.dollarKeys.length ? `; $-keys: ${f.dollarKeys.join(', ')}` : '';
      lines.push(`    ${name} ${pct(f.frequency).padStart(6)}  ${types}${f.declaredType ? ` (declared ${f.declaredType})` : ''}${inside}${dollar}`);
    }
    if (c.absentDeclared.length) lines.push(`  declared, in no document: ${c.absentDeclared.join(', ')}`);
  }
  return lines;
}
