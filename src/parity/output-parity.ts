import { canonicalJson } from '../codec/canonical.js';
import { isTenantScoped } from '../codec/fields.js';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { tenantContext } from '../interfaces/tenant-context.js';
import { MongoRepository } from '../mongo/mongo-repository.js';
import type { MongoDbLike } from '../mongo/mongo-types.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { PostgresRepository } from '../postgres/postgres-repository.js';
import { diffFields } from './canonical-row.js';
import { compareBoth, type ComparisonResult } from './comparison.js';
import { shouldConvert, type LookupSample } from './data-parity.js';
import { genericProbes, type ParityProbe } from './generic-probes.js';
import { canonicalOutput, ListOutput } from './output-canonical.js';
import type { ProbeDifference, ProbeReport } from './report-types.js';
import { redactProbeDifference } from './report-redaction.js';
import { Redactor } from '../codec/sensitive.js';
import { entityUnsettled, serverTime, SETTLE_DEFAULTS, type SettleOptions } from './settle.js';

/**
 * Output parity (SPEC 9): the same repository calls against the MongoDB and the PostgreSQL
 * implementation of every entity, per tenant, compared in canonical form, order included (ties in
 * a declared order excepted, see `normalizeTies`). The Mongo side reads a view without the
 * quarantined documents; tier-B entities outside the window are left out on both sides, so what is
 * compared is what conversion should have produced.
 */
export interface OutputParityInput {
  readonly module: ModuleDefinition;
  /** Entities to probe (tier A and B; tier C is never compared). */
  readonly entities: readonly EntitySpec[];
  readonly mongo: MongoDbLike;
  readonly postgres: PostgresDataSource;
  /** Tenants to probe, sorted. */
  readonly tenants: readonly string[];
  /** Entity name -> tenant ('' when not tenant-scoped) -> sample. */
  readonly samples: ReadonlyMap<string, ReadonlyMap<string, readonly LookupSample[]>>;
  /** Entity name -> reference time of its tier window. */
  readonly referenceTimes: ReadonlyMap<string, Date>;
  /** `ProbeInputs.now` for the module's own probes. */
  readonly now: Date;
  readonly pageSize: number;
  readonly maxListItems: number;
  readonly log?: (line: string) => void;
  /** Hides sensitive values in the probe differences (default: the probed entities' sensitive fields). */
  readonly redactor?: Redactor;
  /** Re-runs of a probe whose outputs differ, while writes continue (default {@link SETTLE_DEFAULTS}). */
  readonly settle?: SettleOptions;
}

export interface OutputParityResult {
  readonly probes: ProbeReport[];
  readonly notes: string[];
}

/** Context of entities that are not tenant-scoped (the repositories ignore the tenant). */
const NO_TENANT = '00000000-0000-0000-0000-000000000000';

/**
 * Runs the generic probes of every entity and the module's own probes, per tenant.
 *
 * @example
 * const { probes } = await outputParity({ module, entities, mongo: legacyView(db, new Map()), postgres: adminDs,
 *   tenants, samples, referenceTimes, now, pageSize: 7, maxListItems: 500 });
 */
export async function outputParity(input: OutputParityInput): Promise<OutputParityResult> {
  const reports: (ProbeReport & { order: number })[] = [];
  const notes = new Set<string>();
  const specs = new Map(input.entities.map((s) => [s.name, s]));
  const repos = new Map<string, { mongo: MongoRepository<Entity>; postgres: PostgresRepository<Entity> }>();
  for (const spec of input.entities) repos.set(spec.name, { mongo: new MongoRepository<Entity>(spec, input.mongo), postgres: new PostgresRepository<Entity>(spec, input.postgres) });
  const position = (entity: string) => input.entities.findIndex((s) => s.name === entity);
  const redactor = input.redactor ?? Redactor.of(input.entities);
  const settle = input.settle ?? SETTLE_DEFAULTS;

  /** Runs one probe as each tenant (once, as no tenant, for entities that are not tenant-scoped). */
  async function runProbe(probe: ParityProbe, kind: 'generic' | 'module', tenants: readonly string[]): Promise<void> {
    const spec = specs.get(probe.entity)!;
    const keep = shouldConvert(spec, input.referenceTimes.get(spec.name) ?? input.now);
    const { mongo, postgres } = repos.get(spec.name)!;
    const options = { spec, keep, order: probe.order ?? null };
    for (const tenant of isTenantScoped(spec) ? tenants : [NO_TENANT]) {
      const ctx = tenantContext(tenant);
      const once = async () => {
        let mongoCanon: unknown = null;
        let pgCanon: unknown = null;
        const result = await compareBoth<unknown>({
          name: `${spec.module}.${spec.name} ${probe.name}`,
          control: () => probe.call(mongo, ctx),
          candidate: () => probe.call(postgres, ctx),
          compare: (a, b) => {
            mongoCanon = canonicalOutput(a, options);
            pgCanon = canonicalOutput(b, options);
            return canonicalJson(mongoCanon) === canonicalJson(pgCanon);
          },
        });
        return { result, mongoCanon, pgCanon, text: result.matched || result.control.error || result.candidate.error || result.compareError ? null : canonicalJson([mongoCanon, pgCanon]) };
      };
      let run = await once();
      // Under traffic: outputs that differ are re-run until they agree, stay the same with nothing on
      // its way (a real mismatch), or are still changing after the last round (in flight).
      let inFlight = false;
      if (run.text !== null && settle.rounds > 0) {
        let since = await serverTime(input.postgres);
        inFlight = true;
        for (let round = 1; round <= settle.rounds; round++) {
          await sleep(settle.waitMs * round);
          const at = await serverTime(input.postgres);
          const before: string | null = run.text;
          run = await once();
          if (run.text === null) {
            inFlight = false;
            break;
          }
          if (run.text === before && (await entityUnsettled(input.postgres, input.mongo, spec, since)) === null) {
            inFlight = false;
            break;
          }
          since = at;
        }
      }
      const { result, mongoCanon, pgCanon } = run;
      const built = probeReport(spec, probe, kind, isTenantScoped(spec) ? tenant : null, result, mongoCanon, pgCanon, input.maxListItems);
      const report: ProbeReport = inFlight ? { ...built, status: 'inFlight' } : built;
      // Compared on real values; the report shows sensitive values as fingerprints only.
      const difference = report.difference && redactProbeDifference(spec, redactor, report.difference);
      reports.push({ ...report, difference, order: position(spec.name) });
    }
  }

  // Probes run a few at a time: one's MongoDB side works while another waits for PostgreSQL. Each
  // probe still runs its two sides one after the other, and the reports are sorted at the end.
  const tasks: (() => Promise<void>)[] = [];
  for (const spec of input.entities) {
    input.log?.(`output parity: ${spec.module}.${spec.name} on ${isTenantScoped(spec) ? input.tenants.length : 1} tenant(s)`);
    const keep = shouldConvert(spec, input.referenceTimes.get(spec.name) ?? input.now);
    const byTenant = input.samples.get(spec.name) ?? new Map<string, readonly LookupSample[]>();
    // Generic probes depend on the tenant's sample: built per tenant, with the same names for all.
    for (const tenant of isTenantScoped(spec) ? input.tenants : ['']) {
      const samples = byTenant.get(tenant) ?? [];
      if (samples.some((s) => !s.legacyId.startsWith('uuid:'))) {
        notes.add('get(id) probes only entities whose legacy _id is a UUID: MongoRepository.get finds documents by their UUID _id, and the UUIDv5 of an ObjectId or string _id cannot be inverted; those entities are probed through findOne and list instead.');
      }
      const probes = genericProbes({ spec, pageSize: input.pageSize, maxListItems: input.maxListItems, keep, referenceTime: input.referenceTimes.get(spec.name) ?? input.now, samples });
      for (const probe of probes) tasks.push(() => runProbe(probe, 'generic', [tenant]));
    }
  }

  // The module's own catalogue, run for every probed tenant.
  if (input.module.probes) {
    const flat = new Map<string, Record<string, unknown>[]>();
    for (const [entity, byTenant] of input.samples) flat.set(entity, [...byTenant.keys()].sort().flatMap((t) => byTenant.get(t)!.map((s) => s.entity)));
    const probes = [...input.module.probes({ tenants: input.tenants, samples: flat, now: input.now })].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = new Set<string>();
    for (const probe of probes) {
      if (names.has(probe.name)) throw new Error(`${input.module.name}: two output probes are named ${JSON.stringify(probe.name)}`);
      names.add(probe.name);
      if (!specs.has(probe.entity)) {
        if (!input.module.entities.some((s) => s.name === probe.entity)) throw new Error(`${input.module.name}: output probe ${probe.name} names unknown entity ${probe.entity}`);
        continue; // entity not selected (--collection) or tier C
      }
      tasks.push(() => runProbe(probe as ParityProbe, 'module', input.tenants));
    }
  }
  await runLimited(tasks, PROBES_AT_ONCE);

  reports.sort((a, b) => a.order - b.order || cmp(a.kind, b.kind) || cmp(a.name, b.name) || cmp(a.tenant ?? '', b.tenant ?? ''));
  return { probes: reports.map(({ order: _order, ...r }) => r), notes: [...notes].sort() };
}

/** Probes in progress at once (see outputParity). */
const PROBES_AT_ONCE = 4;

/** Runs `tasks` with at most `limit` at once; after a failure starts no more, waits for the rest, and throws the first. */
async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async () => {
    while (failure === null && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function countOf(canonical: unknown): number {
  if (canonical === null || canonical === undefined) return 0;
  if (Array.isArray(canonical)) return canonical.length;
  const items = (canonical as { items?: unknown }).items;
  return Array.isArray(items) ? items.length : 1;
}

function probeReport(
  spec: EntitySpec,
  probe: ParityProbe,
  kind: 'generic' | 'module',
  tenant: string | null,
  result: ComparisonResult<unknown>,
  mongoCanon: unknown,
  pgCanon: unknown,
  cap: number,
): ProbeReport {
  const { control, candidate } = result;
  const bothFailed = Boolean(control.error && candidate.error);
  const status = result.matched ? 'match' : bothFailed || result.compareError ? 'error' : 'mismatch';
  const capped = (v: unknown) => v instanceof ListOutput && v.truncated;
  const truncated = capped(control.value) || capped(candidate.value);
  let difference: ProbeDifference | null = null;
  if (!result.matched) {
    if (control.error || candidate.error || result.compareError) {
      const message = result.compareError
        ? `comparison failed: ${result.compareError.message}`
        : [control.error ? `MongoDB failed: ${control.error.message}` : null, candidate.error ? `PostgreSQL failed: ${candidate.error.message}` : null].filter(Boolean).join('; ');
      difference = { message, index: null, mongo: null, postgres: null, differences: [], onlyInMongo: [], onlyInPostgres: [] };
    } else {
      difference = describeDifference(spec, mongoCanon, pgCanon, truncated ? { cap } : {});
    }
  }
  return {
    name: probe.name,
    entity: spec.name,
    tenant,
    kind,
    status,
    mongo: { count: control.error ? null : countOf(mongoCanon), error: control.error?.message ?? null },
    postgres: { count: candidate.error ? null : countOf(pgCanon), error: candidate.error?.message ?? null },
    truncated,
    difference,
  };
}

function itemsOf(canonical: unknown): unknown[] | null {
  if (Array.isArray(canonical)) return canonical;
  const items = canonical && typeof canonical === 'object' ? (canonical as { items?: unknown }).items : undefined;
  return Array.isArray(items) ? items : null;
}

/** Ids of the entities in a list (a null, "not found", has none; other values stand for themselves). */
function idsOf(items: readonly unknown[]): string[] {
  return items.flatMap((i) => (i === null || i === undefined ? [] : [i && typeof i === 'object' && typeof (i as { id?: unknown }).id === 'string' ? (i as { id: string }).id : canonicalJson(i)]));
}

/**
 * Where two canonical outputs part: first differing position, fields, membership. A list capped at
 * `cap` items (on either side) is compared up to the common length only, and says so: an item past
 * one side's cap is not "only on the other side", so no membership is claimed.
 *
 * @example
 * describeDifference(spec, [a, b], [b, a]).message; // 'same items in a different order: ...'
 * describeDifference(spec, capped500, capped501, { cap: 500 }).message; // 'capped at 500 items: ...'
 */
export function describeDifference(spec: EntitySpec, mongo: unknown, postgres: unknown, options: { readonly cap?: number } = {}): ProbeDifference {
  const a = itemsOf(mongo);
  const b = itemsOf(postgres);
  const entityDiff = (x: unknown, y: unknown) =>
    x && y && typeof x === 'object' && typeof y === 'object' && (x as { id?: unknown }).id === (y as { id?: unknown }).id
      ? diffFields(spec, x as Record<string, unknown>, y as Record<string, unknown>).filter((d) => d.field !== 'legacyId')
      : [];
  if (a && b) {
    let i = 0;
    while (i < a.length && i < b.length && canonicalJson(a[i] ?? null) === canonicalJson(b[i] ?? null)) i++;
    if (options.cap !== undefined) return cappedDifference(a, b, i, options.cap, entityDiff);
    const idsA = idsOf(a);
    const idsB = idsOf(b);
    const setA = new Set(idsA);
    const setB = new Set(idsB);
    const onlyInMongo = idsA.filter((id) => !setB.has(id)).slice(0, 5);
    const onlyInPostgres = idsB.filter((id) => !setA.has(id)).slice(0, 5);
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    const kind =
      onlyInMongo.length === 0 && onlyInPostgres.length === 0 && a.length === b.length
        ? (entityDiff(x, y).length ? 'same items, different values' : 'same items in a different order')
        : 'different items';
    return {
      message: `${kind}: MongoDB ${a.length} item(s), PostgreSQL ${b.length}; first difference at position ${i}`,
      index: i,
      mongo: x,
      postgres: y,
      differences: entityDiff(x, y),
      onlyInMongo,
      onlyInPostgres,
    };
  }
  return { message: 'outputs differ', index: null, mongo, postgres, differences: entityDiff(mongo, postgres), onlyInMongo: [], onlyInPostgres: [] };
}

/** The difference of two lists cut at the item cap: positions within the common length only. */
function cappedDifference(a: readonly unknown[], b: readonly unknown[], i: number, cap: number, entityDiff: (x: unknown, y: unknown) => ProbeDifference['differences']): ProbeDifference {
  const common = Math.min(a.length, b.length);
  const where =
    i < common
      ? `first difference at position ${i}`
      : `the first ${common} agree and the lists end differently (each stops at the end of the tie group the cap falls in)`;
  const x = i < common ? (a[i] ?? null) : null;
  const y = i < common ? (b[i] ?? null) : null;
  return {
    message: `capped at ${cap} items: MongoDB listed ${a.length}, PostgreSQL ${b.length}; compared the first ${common}: ${where}`,
    index: i,
    mongo: x,
    postgres: y,
    differences: entityDiff(x, y),
    onlyInMongo: [],
    onlyInPostgres: [],
  };
}
