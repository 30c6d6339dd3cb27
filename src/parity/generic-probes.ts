import { derivedUuid } from '../codec/ids.js';
import { fieldOf, fieldsOf } from '../codec/fields.js';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { OutputProbe } from '../interfaces/module-definition.js';
import { MAX_PAGE_SIZE, type EntityRepository, type ListQuery } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import type { LookupSample } from './data-parity.js';
import { ListOutput, orderKey } from './output-canonical.js';

/**
 * An output probe as parity runs it. `order` names the declared order of a list output, so that ties
 * in it are compared up to their tie-breaker (module probes may set it too: a `ParityProbe` is an
 * `OutputProbe` with that one optional field).
 */
export type ParityProbe = OutputProbe;

export interface GenericProbeOptions {
  readonly spec: EntitySpec;
  /** Page size of list probes (small, so that paging itself is exercised). */
  readonly pageSize: number;
  /** Items per list probe before it stops (at the end of a tie group). */
  readonly maxListItems: number;
  /** Should conversion have copied this entity? Lists count only those toward the cap. */
  readonly keep: (entity: Record<string, unknown>) => boolean;
  readonly referenceTime: Date;
  /** This tenant's sample of legacy entities (first by `_id`). */
  readonly samples: readonly LookupSample[];
}

const DAY = 86_400_000;

/** Pages read at the probe's small `pageSize` before the rest is read in large pages. */
export const SMALL_PAGES = 2;

/**
 * Gathers every page of a list until the end or until `cap` kept items and the end of the tie group
 * the cap falls in (so both backends stop at the same place). The first {@link SMALL_PAGES} pages
 * are `pageSize` long, so that paging itself is exercised (a small page's continuation token, into
 * another small page and into a large one); the rest comes in pages as large as the repositories
 * allow (up to what the cap still needs), because re-reading a whole list seven items at a time
 * costs one query per seven items and proves nothing more.
 *
 * @example
 * const all = await collectList(repo, ctx, { order: 'newest' }, { spec, pageSize: 7, cap: 500, keep: () => true });
 */
export async function collectList(
  repo: EntityRepository<Entity>,
  ctx: TenantContext,
  query: ListQuery<Entity>,
  options: { spec: EntitySpec; pageSize: number; cap: number; keep: (e: Record<string, unknown>) => boolean },
): Promise<ListOutput> {
  const order = query.order ?? 'default';
  const items: Record<string, unknown>[] = [];
  let boundary: string | null = null;
  let after: string | null = null;
  for (let pages = 0; ; pages++) {
    if (pages > 1_000_000) throw new Error('list paging did not end');
    const limit = pages < SMALL_PAGES ? options.pageSize : Math.min(MAX_PAGE_SIZE, Math.max(options.pageSize, options.cap - items.length + 1));
    const page: { items: Entity[]; next: string | null } = await repo.list(ctx, { ...query, limit, after });
    for (const raw of page.items) {
      const item = raw as unknown as Record<string, unknown>;
      if (!options.keep(item)) continue;
      if (boundary !== null && orderKey(options.spec, order, item) !== boundary) return new ListOutput(items, true);
      items.push(item);
      if (boundary === null && items.length >= options.cap) boundary = orderKey(options.spec, order, item);
    }
    if (!page.next) return new ListOutput(items, false);
    after = page.next;
  }
}

/**
 * The probes derived from a declaration, for one tenant:
 * - `list(order=O)` for every declared order, all pages concatenated;
 * - `list(order=default, F=V)` for every value V of every enum field F;
 * - `list(order=O, F within 30 days)` for every order led by a timestamp F: [reference - 30d, reference + 30d);
 * - `findOne(K)` for every unique key K, over the tenant's sample;
 * - `get(id)` over the sample entities whose legacy `_id` is a UUID, plus one id that exists nowhere.
 *   Entities with ObjectId or string legacy ids cannot be fetched by id on MongoDB (MongoRepository.get
 *   finds documents by their UUID `_id`; a UUIDv5 cannot be inverted), so they are not probed by id.
 *
 * @example
 * const probes = genericProbes({ spec, pageSize: 7, maxListItems: 500, keep, referenceTime, samples });
 */
export function genericProbes(options: GenericProbeOptions): ParityProbe[] {
  const { spec } = options;
  const probes: ParityProbe[] = [];
  const list = (name: string, query: ListQuery<Entity>): ParityProbe => ({
    name,
    entity: spec.name,
    order: query.order ?? 'default',
    call: (repo, ctx) => collectList(repo, ctx, query, { spec, pageSize: options.pageSize, cap: options.maxListItems, keep: options.keep }),
  });

  for (const orderName of Object.keys(spec.orders).sort()) probes.push(list(`list(order=${orderName})`, { order: orderName }));
  for (const field of fieldsOf(spec)) {
    if (!field.enum || field.generated) continue;
    for (const value of field.enum) probes.push(list(`list(order=default, ${field.name}=${value})`, { order: 'default', where: { [field.name]: value } as Partial<Entity> }));
  }
  for (const orderName of Object.keys(spec.orders).sort()) {
    const lead = spec.orders[orderName]!.fields[0];
    if (!lead || fieldOf(spec, lead.field).type !== 'timestamp') continue;
    const t = options.referenceTime.getTime();
    probes.push(
      list(`list(order=${orderName}, ${lead.field} within 30 days)`, {
        order: orderName,
        range: { field: lead.field, gte: new Date(t - 30 * DAY), lt: new Date(t + 30 * DAY) },
      }),
    );
  }

  if (options.samples.length > 0) {
    for (const key of spec.uniqueKeys ?? []) {
      probes.push({
        name: `findOne(${key.join(', ')})`,
        entity: spec.name,
        call: async (repo, ctx) => {
          const out: unknown[] = [];
          for (const { entity } of options.samples) out.push(await repo.findOne(ctx, Object.fromEntries(key.map((f) => [f, entity[f]])) as Partial<Entity>));
          return out;
        },
      });
    }
  }
  const byId = options.samples.filter((s) => s.legacyId.startsWith('uuid:')).map((s) => s.entity.id as string);
  byId.push(derivedUuid('parity-absent', spec.module, spec.name));
  probes.push({
    name: 'get(id)',
    entity: spec.name,
    call: async (repo, ctx) => {
      const out: unknown[] = [];
      for (const id of byId) out.push(await repo.get(ctx, id));
      return out;
    },
  });
  return probes;
}
