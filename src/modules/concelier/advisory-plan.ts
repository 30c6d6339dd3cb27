import type { Affected, Alias, JsonValue } from '../../interfaces/concelier.js';
import { ValidationError } from '../../interfaces/errors.js';

/**
 * What one OSV advisory becomes, before any store is touched: the advisory row's writable fields,
 * its identifier rows (its own id first-class, then each alias) and one affected row per
 * `affected[]` entry. Pure and deterministic; the importer writes it, the demo encodes it as legacy
 * documents, tests compare against it.
 */
export interface AdvisoryPlan {
  readonly advisory: { sourceKey: string; advisoryKey: string; payload: { [key: string]: JsonValue } };
  readonly aliases: readonly Pick<Alias, 'sourceKey' | 'advisoryKey' | 'alias' | 'scheme' | 'isPrimary'>[];
  readonly affected: readonly Pick<Affected, 'sourceKey' | 'advisoryKey' | 'ordinal' | 'ecosystem' | 'packageName' | 'purl' | 'ranges' | 'versions'>[];
}

type Json = { [key: string]: JsonValue };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown, path: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ValidationError('Concelier.affected', path, `must be a string, got ${typeof v}`);
  return v;
}

/**
 * @example
 * const plan = planAdvisory('rustsec', osvJson);
 * plan.aliases.map((a) => a.alias); // ['RUSTSEC-2024-0400', 'GHSA-x3f4-45xf-rjm7']
 */
export function planAdvisory(sourceKey: string, payload: unknown): AdvisoryPlan {
  if (!isObject(payload)) throw new ValidationError('Concelier.advisory', 'payload', 'must be a JSON object (an OSV advisory)');
  const advisoryKey = payload.id;
  if (typeof advisoryKey !== 'string' || advisoryKey === '') throw new ValidationError('Concelier.advisory', 'payload.id', 'must be a non-empty string');

  const ids = [advisoryKey];
  if (payload.aliases !== undefined && payload.aliases !== null) {
    if (!Array.isArray(payload.aliases)) throw new ValidationError('Concelier.advisory', 'payload.aliases', 'must be an array of strings');
    payload.aliases.forEach((a, i) => {
      if (typeof a !== 'string') throw new ValidationError('Concelier.advisory', `payload.aliases[${i}]`, 'must be a string');
      ids.push(a);
    });
  }
  // One row per distinct identifier (an advisory listing itself or an alias twice is not two rows).
  const seen = new Set<string>();
  const aliases = ids
    .filter((id) => (seen.has(id) ? false : (seen.add(id), true)))
    .map((id) => ({ sourceKey, advisoryKey, alias: id, scheme: id.split('-')[0]!, isPrimary: id === advisoryKey }));

  const affected: AdvisoryPlan['affected'][number][] = [];
  if (payload.affected !== undefined && payload.affected !== null) {
    if (!Array.isArray(payload.affected)) throw new ValidationError('Concelier.advisory', 'payload.affected', 'must be an array');
    payload.affected.forEach((entry, ordinal) => {
      const path = `payload.affected[${ordinal}]`;
      if (!isObject(entry)) throw new ValidationError('Concelier.affected', path, 'must be an object');
      const pkg = entry.package;
      if (pkg !== undefined && pkg !== null && !isObject(pkg)) throw new ValidationError('Concelier.affected', `${path}.package`, 'must be an object');
      const ranges = entry.ranges;
      if (ranges !== undefined && ranges !== null && !Array.isArray(ranges)) throw new ValidationError('Concelier.affected', `${path}.ranges`, 'must be an array');
      const versions = entry.versions;
      if (versions !== undefined && versions !== null) {
        if (!Array.isArray(versions)) throw new ValidationError('Concelier.affected', `${path}.versions`, 'must be an array of strings');
        versions.forEach((v, i) => {
          if (typeof v !== 'string') throw new ValidationError('Concelier.affected', `${path}.versions[${i}]`, 'must be a string');
        });
      }
      affected.push({
        sourceKey,
        advisoryKey,
        ordinal,
        ecosystem: optionalString(pkg?.ecosystem, `${path}.package.ecosystem`),
        packageName: optionalString(pkg?.name, `${path}.package.name`),
        purl: optionalString(pkg?.purl, `${path}.package.purl`),
        ranges: (ranges as JsonValue[] | undefined) ?? null,
        versions: (versions as string[] | undefined) ?? null,
      });
    });
  }
  return { advisory: { sourceKey, advisoryKey, payload }, aliases, affected };
}
