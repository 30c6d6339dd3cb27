import type { Document } from 'bson';
import type { Clock } from '../interfaces/clock.js';
import { nextTimestamp, systemClock } from '../interfaces/clock.js';
import type { Entity, EntityPatch, EntitySpec, NewEntity } from '../interfaces/entity-spec.js';
import { DuplicateKeyError, NotFoundError, PersistenceError } from '../interfaces/errors.js';
import type { ChangeHook, ChangeRecord, EntityRepository, ListQuery, Page, ReplicaOutcome } from '../interfaces/repository.js';
import { checkTenantContext, type TenantContext } from '../interfaces/tenant-context.js';
import { buildAudit } from '../codec/audit.js';
import { decodeCursor, encodeCursor } from '../codec/cursor.js';
import { checkFilter, checkId, cursorShape, pageSize, prepareInsert, prepareUpdate, resolveOrder } from '../codec/entity-lifecycle.js';
import { fieldOf, isTenantScoped, qualifiedName } from '../codec/fields.js';
import { decodeDocument, documentUpdate, encodeDocument, EXACT_DOCUMENT_READ, filterValue } from './document-codec.js';
import { idRangeFilter } from './id-ranges.js';
import { legacyIdOf, mongoIdForUuid, mongoIdOf } from './legacy-id.js';
import { isDuplicateKeyError, type MongoCollectionLike, type MongoDbLike } from './mongo-types.js';
import { describeBrokenIndex, type BrokenIndex } from './broken-index.js';
import { tenantMatch, tenantRegistryOf } from './tenant-keys.js';
import type { TenantRegistry } from '../codec/tenant-registry.js';

/**
 * The generic MongoDB repository: one class for every entity, driven by its declaration. It reads
 * and writes the legacy collection and document shape, filters every query by tenant, and keeps
 * the declared unique keys as unique indexes.
 *
 * Documents whose `_id` is not a UUID (legacy ObjectId / string ids) are found by natural keys and
 * lists; `get(id)` finds them only by their UUID `_id` (a UUIDv5 cannot be inverted).
 *
 * Documents are read type-exact (`EXACT_DOCUMENT_READ`) and updated with `$set` / `$unset` of what
 * changed only (`documentUpdate`), in one guarded `updateOne`: fields the declaration does not name
 * (the overflow) and fields left alone keep their BSON bytes.
 *
 * @example
 * const users = new MongoRepository<User>(userSpec, db);
 * await users.ensureIndexes();
 */
export class MongoRepository<E extends Entity> implements EntityRepository<E> {
  private readonly collection: MongoCollectionLike;
  private readonly auditCollection: MongoCollectionLike | null;
  private readonly hooks: ChangeHook[] = [];
  /** The legacy database's tenant registry (src/mongo/tenant-keys.ts): named tenants <-> UUIDs. */
  private readonly tenants: TenantRegistry;

  constructor(
    readonly spec: EntitySpec,
    readonly db: MongoDbLike,
    private readonly clock: Clock = systemClock,
  ) {
    this.collection = db.collection(spec.collection);
    this.auditCollection = spec.audit ? db.collection(spec.audit.collection) : null;
    this.tenants = tenantRegistryOf(db);
  }

  /** Registers a hook called after each committed write (DualWrite's pending log). */
  onChange(hook: ChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  /**
   * Creates the unique indexes of the declared natural keys and one index per list order, and learns
   * the collection's tenant keys. Idempotent. A unique index the legacy data already breaks (E11000)
   * is not built: it is returned, described, and the repository serves without it as the legacy
   * service did (README "Broken legacy unique keys").
   */
  async ensureIndexes(): Promise<BrokenIndex[]> {
    const tenant: Record<string, 1> = isTenantScoped(this.spec) ? { tenantId: 1 } : {};
    const broken: BrokenIndex[] = [];
    for (const key of this.spec.uniqueKeys ?? []) {
      const keys: Record<string, 1> = { ...tenant };
      for (const f of key) keys[fieldOf(this.spec, f).mongo] = 1;
      const name = `ux_${key.join('_')}`;
      try {
        await this.collection.createIndex(keys, { unique: true, name });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        broken.push(await describeBrokenIndex(this.collection, this.spec, key, name, err as Error));
      }
    }
    for (const [name, order] of Object.entries(this.spec.orders)) {
      const keys: Record<string, 1 | -1> = { ...tenant };
      for (const { field, dir } of order.fields) keys[fieldOf(this.spec, field).mongo] = dir === 'asc' ? 1 : -1;
      keys._id = 1;
      await this.collection.createIndex(keys, { name: `ix_order_${name}` });
    }
    await this.discoverTenants();
    return broken;
  }

  /** Learns every tenant key of the collection (the registry maps a UUID back to the keys it has met). */
  private async discoverTenants(): Promise<void> {
    if (isTenantScoped(this.spec)) this.tenants.learn(await this.collection.distinct(fieldOf(this.spec, 'tenantId').mongo));
  }

  /**
   * The tenant filter; it checks the context even for global entities, as PostgreSQL's unit of work
   * does. A tenant is matched by every legacy key the registry maps to its UUID (a named tenant's name,
   * the UUID itself): each of them maps to this tenant and no other. A tenant the registry has not met
   * yet is looked for first (a legacy service may have written it since).
   */
  private async scope(ctx: TenantContext): Promise<Document> {
    if (!isTenantScoped(this.spec)) {
      checkTenantContext(ctx);
      return {};
    }
    const field = fieldOf(this.spec, 'tenantId').mongo;
    return { [field]: await tenantMatch(this.db, this.spec.collection, ctx, field) };
  }

  /** Decodes a stored document; with `ctx`, also proves it is that tenant's (a second line behind the filter). */
  private decode(doc: Document, ctx?: TenantContext): { entity: E; legacyId: string } {
    let decoded;
    try {
      decoded = decodeDocument(this.spec, doc, undefined, this.tenants);
    } catch (err) {
      throw new PersistenceError(`${qualifiedName(this.spec)}: stored document ${safeId(doc)} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    if (ctx && isTenantScoped(this.spec) && decoded.entity.tenantId !== ctx.tenantId) {
      throw new PersistenceError(`${qualifiedName(this.spec)}: stored document ${safeId(doc)} is not the tenant's of this context; refused`);
    }
    return { entity: decoded.entity as unknown as E, legacyId: decoded.legacyId };
  }

  /** A legacy document's own tenant value stays as it was written (a replacement never renames the tenant). */
  private keepTenant(replacement: Document, stored: Document | null): Document {
    if (stored && isTenantScoped(this.spec)) {
      const f = fieldOf(this.spec, 'tenantId').mongo;
      replacement[f] = stored[f];
    }
    return replacement;
  }

  /** The stored entity, or null when the stored document cannot be decoded (a replica then replaces it whole). */
  private decodeOrNull(doc: Document): E | null {
    try {
      return decodeDocument(this.spec, doc, undefined, this.tenants).entity as unknown as E;
    } catch {
      return null;
    }
  }

  /** The caller's equality filter (already checked by `checkFilter`), then the tenant scope, last, so nothing can replace it. */
  private async whereFilter(ctx: TenantContext, where: Record<string, unknown> | undefined): Promise<Document> {
    const filter: Document = {};
    for (const [name, value] of Object.entries(where ?? {})) {
      if (value === undefined) continue;
      const field = fieldOf(this.spec, name);
      filter[field.mongo] = value === null ? null : filterValue(field, value);
    }
    return Object.assign(filter, await this.scope(ctx));
  }

  async insert(ctx: TenantContext, input: NewEntity<E>): Promise<E> {
    const entity = prepareInsert<E>(this.spec, ctx, input as Record<string, unknown>, this.clock);
    await this.scope(ctx); // meets the tenant first, so a named tenant's new document carries its name
    const doc = encodeDocument(this.spec, entity as unknown as Record<string, unknown>, null, this.tenants);
    try {
      await this.collection.insertOne(doc);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new DuplicateKeyError(qualifiedName(this.spec), duplicateKeyName(err), { cause: err });
      throw err;
    }
    await this.committed(ctx, { op: 'upsert', id: entity.id, entity, at: entity.updatedAt, legacyId: legacyIdOf(doc._id), audit: this.audit(ctx, 'insert', null, entity, entity.updatedAt) });
    return entity;
  }

  async get(ctx: TenantContext, id: string): Promise<E | null> {
    return (await this.getWithLegacyId(ctx, id))?.entity ?? null;
  }

  async findOne(ctx: TenantContext, where: Partial<E>): Promise<E | null> {
    return (await this.findOneWithLegacyId(ctx, where))?.entity ?? null;
  }

  /** `get`, plus the canonical legacy id of the document (DualWrite's ConvertOnRead keeps it). */
  async getWithLegacyId(ctx: TenantContext, id: string): Promise<{ entity: E; legacyId: string } | null> {
    const doc = await this.collection.findOne({ _id: mongoIdForUuid(checkId(this.spec, id)), ...(await this.scope(ctx)) }, EXACT_DOCUMENT_READ);
    return doc ? this.decode(doc, ctx) : null;
  }

  async findOneWithLegacyId(ctx: TenantContext, where: Partial<E>): Promise<{ entity: E; legacyId: string } | null> {
    checkFilter(this.spec, { where: where as Record<string, unknown> });
    const doc = await this.collection.findOne(await this.whereFilter(ctx, where as Record<string, unknown>), { sort: { _id: 1 }, ...EXACT_DOCUMENT_READ });
    return doc ? this.decode(doc, ctx) : null;
  }

  async list(ctx: TenantContext, query: ListQuery<E> = {}): Promise<Page<E>> {
    checkFilter(this.spec, query);
    const { name, order } = resolveOrder(this.spec, query.order);
    const limit = pageSize(query, qualifiedName(this.spec));
    const filter = await this.whereFilter(ctx, query.where as Record<string, unknown>);
    if (query.range) {
      const f = fieldOf(this.spec, query.range.field).mongo;
      const cond: Document = {};
      if (query.range.gte) cond.$gte = query.range.gte;
      if (query.range.lt) cond.$lt = query.range.lt;
      filter[f] = { ...(typeof filter[f] === 'object' && filter[f] !== null && !(filter[f] instanceof Date) ? filter[f] : {}), ...cond };
    }
    const sort: Record<string, 1 | -1> = {};
    for (const { field, dir } of order.fields) sort[fieldOf(this.spec, field).mongo] = dir === 'asc' ? 1 : -1;
    sort._id = 1;
    const clauses: Document[] = [filter];
    if (query.after) {
      const cursor = decodeCursor(query.after, 'mongo', name, cursorShape(this.spec, order, 'legacy-id'));
      clauses.push(keysetFilter(this.spec, order.fields, cursor.keys, mongoIdOf(cursor.tie)));
    }
    const docs = await this.collection.find(clauses.length > 1 ? { $and: clauses } : filter, { sort, limit: limit + 1, ...EXACT_DOCUMENT_READ }).toArray();
    const items = docs.slice(0, limit).map((d) => this.decode(d, ctx));
    let next: string | null = null;
    if (docs.length > limit) {
      const last = items[items.length - 1]!;
      next = encodeCursor({
        backend: 'mongo',
        order: name,
        keys: order.fields.map(({ field }) => (last.entity as unknown as Record<string, unknown>)[field]),
        tie: last.legacyId,
      });
    }
    return { items: items.map((i) => i.entity), next };
  }

  async update(ctx: TenantContext, id: string, patch: EntityPatch<E>): Promise<E> {
    const filter = { _id: mongoIdForUuid(checkId(this.spec, id)), ...(await this.scope(ctx)) };
    const doc = await this.collection.findOne(filter, EXACT_DOCUMENT_READ);
    if (!doc) throw new NotFoundError(qualifiedName(this.spec), id);
    const { entity: current, legacyId } = this.decode(doc, ctx);
    const next = prepareUpdate<E>(this.spec, current, patch as Record<string, unknown>, this.clock);
    let result;
    try {
      // Optimistic: only update the version we read; a concurrent writer makes us fail loudly.
      // $set / $unset of what changed: undeclared fields, untouched fields and the tenant's legacy key keep their bytes.
      const change = documentUpdate(this.spec, current as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>);
      result = await this.collection.updateOne({ ...filter, updatedAt: current.updatedAt }, change);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new DuplicateKeyError(qualifiedName(this.spec), duplicateKeyName(err), { cause: err });
      throw err;
    }
    if (result.matchedCount === 0) throw new PersistenceError(`${qualifiedName(this.spec)} ${id} was changed concurrently; retry`);
    await this.committed(ctx, { op: 'upsert', id, entity: next, at: next.updatedAt, legacyId, audit: this.audit(ctx, 'update', current, next, next.updatedAt) });
    return next;
  }

  async delete(ctx: TenantContext, id: string): Promise<boolean> {
    const filter = { _id: mongoIdForUuid(checkId(this.spec, id)), ...(await this.scope(ctx)) };
    const doc = await this.collection.findOne(filter, EXACT_DOCUMENT_READ);
    if (!doc) return false;
    const { entity: current, legacyId } = this.decode(doc, ctx);
    const { deletedCount } = await this.collection.deleteOne(filter);
    if (deletedCount === 0) return false;
    const at = nextTimestamp(this.clock, current.updatedAt);
    await this.committed(ctx, { op: 'delete', id, entity: null, at, legacyId, audit: this.audit(ctx, 'delete', current, null, at) });
    return true;
  }

  async applyReplica(ctx: TenantContext, change: ChangeRecord<E>): Promise<ReplicaOutcome> {
    const _id = change.legacyId ? mongoIdOf(change.legacyId) : mongoIdForUuid(change.id);
    const filter = { _id, ...(await this.scope(ctx)) };
    const existing = await this.collection.findOne(filter, EXACT_DOCUMENT_READ);
    const existingAt = existing?.updatedAt instanceof Date ? existing.updatedAt.getTime() : null;
    let outcome: ReplicaOutcome;
    if (change.op === 'delete') {
      if (!existing) outcome = 'skipped-missing';
      else if (existingAt !== null && existingAt > change.at.getTime()) outcome = 'skipped-newer';
      else {
        await this.collection.deleteOne({ ...filter, updatedAt: existing.updatedAt });
        outcome = 'applied';
      }
    } else {
      const entity = change.entity!;
      if (existingAt !== null && existingAt > entity.updatedAt.getTime()) outcome = 'skipped-newer';
      else {
        const current = existing ? this.decodeOrNull(existing) : null;
        if (existing && current) {
          // Only what changed is written: the stored document keeps its other fields' bytes and order (its tenant key too).
          const update = documentUpdate(this.spec, current as unknown as Record<string, unknown>, entity as unknown as Record<string, unknown>);
          if (Object.keys(update).length) await this.collection.updateOne({ ...filter, updatedAt: existing.updatedAt }, update);
        } else {
          const doc = this.keepTenant(encodeDocument(this.spec, entity as unknown as Record<string, unknown>, change.legacyId, this.tenants), existing);
          const guard = existing ? { updatedAt: existing.updatedAt } : {};
          await this.collection.replaceOne({ ...filter, ...guard }, doc, { upsert: !existing });
        }
        outcome = 'applied';
      }
    }
    if (change.audit && this.auditCollection && this.spec.audit) {
      const auditDoc = encodeDocument(this.spec.audit, change.audit as unknown as Record<string, unknown>, null, this.tenants);
      await this.auditCollection.replaceOne({ _id: auditDoc._id }, auditDoc, { upsert: true });
    }
    return outcome;
  }

  private audit(ctx: TenantContext, action: 'insert' | 'update' | 'delete', before: E | null, after: E | null, at: Date) {
    return this.spec.audit ? buildAudit(this.spec, ctx, action, before, after, at) : null;
  }

  /**
   * After a write: the audit document (MongoDB has no multi-document transaction on a standalone
   * server or the memory store, so it follows the write), then the change hooks.
   */
  private async committed(ctx: TenantContext, change: ChangeRecord<E>): Promise<void> {
    if (change.audit && this.auditCollection && this.spec.audit) {
      await this.auditCollection.insertOne(encodeDocument(this.spec.audit, change.audit as unknown as Record<string, unknown>, null, this.tenants));
    }
    for (const hook of this.hooks) await hook(change as ChangeRecord, ctx, null);
  }
}

/** `(k1 > v1) or (k1 = v1 and k2 > v2) ... or (all equal and _id > tie)`, honouring directions. */
function keysetFilter(spec: EntitySpec, fields: readonly { field: string; dir: 'asc' | 'desc' }[], keys: readonly unknown[], tie: unknown): Document {
  const or: Document[] = [];
  const equal: Document = {};
  fields.forEach(({ field, dir }, i) => {
    const f = fieldOf(spec, field);
    const value = filterValue(f, keys[i]);
    or.push({ ...equal, [f.mongo]: { [dir === 'asc' ? '$gt' : '$lt']: value } });
    equal[f.mongo] = value;
  });
  // `_id` comparisons are type-bracketed in MongoDB: a legacy collection mixing ObjectId, string
  // and UUID ids needs the later type classes spelled out, or a tie group split across pages loses rows.
  or.push({ ...equal, ...idRangeFilter({ value: tie, inclusive: false }, null) });
  return { $or: or };
}

function duplicateKeyName(err: unknown): string {
  const message = (err as Error).message ?? '';
  const m = /index: (\S+)/.exec(message);
  if (!m) return 'key';
  const name = m[1]!;
  return name === '_id_' ? 'id' : name.replace(/^ux_/, '').replace(/_/g, ', ');
}

function safeId(doc: Document): string {
  try {
    return legacyIdOf(doc._id);
  } catch {
    return '(unreadable _id)';
  }
}
