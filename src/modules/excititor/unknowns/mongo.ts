import type { Document } from 'bson';
import type { Clock } from '../../../interfaces/clock.js';
import { nextTimestamp, systemClock } from '../../../interfaces/clock.js';
import type { EntitySpec } from '../../../interfaces/entity-spec.js';
import { PersistenceError } from '../../../interfaces/errors.js';
import type { ChangeHook, ChangeRecord, Page } from '../../../interfaces/repository.js';
import { checkTenantContext, type TenantContext } from '../../../interfaces/tenant-context.js';
import type { AsOf, BitemporalChange, UnknownAssertion, UnknownRecord, UnknownsPageQuery, UnknownsRepository } from '../../../interfaces/unknowns.js';
import { checkSubject, checkTimes, openedRecord, planAssertion } from './rules.js';
import { decodeCursor, encodeCursor } from '../../../codec/cursor.js';
import { pageSize } from '../../../codec/entity-lifecycle.js';
import { fieldOf, qualifiedName } from '../../../codec/fields.js';
import { validateEntity } from '../../../codec/validate.js';
import { decodeDocument, encodeDocument, EXACT_DOCUMENT_READ } from '../../../mongo/document-codec.js';
import { legacyExtraOf, withLegacyExtra } from '../../../codec/legacy-extra.js';
import { legacyIdOf } from '../../../mongo/legacy-id.js';
import type { MongoCollectionLike, MongoDbLike } from '../../../mongo/mongo-types.js';
import { tenantMatch, tenantRegistryOf } from '../../../mongo/tenant-keys.js';

/** Writers of one subject inside this process run one after the other (MongoDB has no transaction here). */
const subjectLocks = new Map<string, Promise<unknown>>();

async function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = subjectLocks.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  subjectLocks.set(key, tail);
  try {
    return await run;
  } finally {
    if (subjectLocks.get(key) === tail) subjectLocks.delete(key);
  }
}

/**
 * The bitemporal Unknowns repository on the legacy MongoDB collection (one document per version,
 * `recordedAt` / `supersededAt` as system time). Same semantics as the PostgreSQL one, with the limits
 * of a store without multi-document transactions: writers of one subject are serialised inside the
 * process, a superseded document is closed only if it is still open (else the call fails, naming it),
 * and new versions are written BEFORE the superseded ones are closed, so a crash in between leaves an
 * extra belief (which the next assertion on the subject closes) rather than losing one.
 *
 * @example
 * const unknowns = new MongoBitemporalRepository(unknownSpec, db);
 * await unknowns.resolve(ctx, { subjectHash, kind: 'missing_vex' });
 */
export class MongoBitemporalRepository implements UnknownsRepository {
  private readonly hooks: ChangeHook[] = [];
  private readonly coll: MongoCollectionLike;
  private readonly f: (field: string) => string;

  constructor(
    readonly spec: EntitySpec,
    readonly db: MongoDbLike,
    private readonly clock: Clock = systemClock,
  ) {
    this.coll = db.collection(spec.collection);
    this.f = (field) => fieldOf(spec, field).mongo;
  }

  /** Registers a hook called after each document written (DualWrite with MongoDB as primary). */
  onChange(hook: ChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  private decode(doc: Document): { entity: UnknownRecord; legacyId: string } {
    try {
      const { entity, legacyId } = decodeDocument(this.spec, doc, undefined, tenantRegistryOf(this.db));
      return { entity: entity as unknown as UnknownRecord, legacyId };
    } catch (err) {
      let id = '(unreadable _id)';
      try {
        id = legacyIdOf(doc._id);
      } catch {
        // keep the placeholder
      }
      throw new PersistenceError(`${qualifiedName(this.spec)}: stored document ${id} cannot be read: ${(err as Error).message}`, { cause: err });
    }
  }

  record(ctx: TenantContext, input: { subjectHash: string; kind: string; context: Record<string, unknown>; validFrom?: Date }): Promise<BitemporalChange> {
    return this.correct(ctx, { subjectHash: input.subjectHash, kind: input.kind, context: input.context, validFrom: input.validFrom ?? this.clock.now(), validTo: null });
  }

  resolve(ctx: TenantContext, input: { subjectHash: string; kind: string; at?: Date }): Promise<BitemporalChange> {
    return this.correct(ctx, { subjectHash: input.subjectHash, kind: input.kind, context: null, validFrom: input.at ?? this.clock.now(), validTo: null });
  }

  correct(ctx: TenantContext, a: UnknownAssertion): Promise<BitemporalChange> {
    checkSubject(qualifiedName(this.spec), a.subjectHash, a.kind);
    return serialised(`${this.db.databaseName}|${this.spec.collection}|${checkTenantContext(ctx)}|${a.subjectHash}|${a.kind}`, async () => {
      const filter = { tenantId: await tenantMatch(this.db, this.spec.collection, ctx), [this.f('subjectHash')]: a.subjectHash, [this.f('kind')]: a.kind, [this.f('sysTo')]: null };
      const believed = (await this.coll.find(filter, { sort: { [this.f('validFrom')]: 1, _id: 1 }, ...EXACT_DOCUMENT_READ }).toArray()).map((d) => this.decode(d));
      const plan = planAssertion(qualifiedName(this.spec), believed.map((b) => b.entity), a);
      if (plan.close.length === 0 && plan.open.length === 0) return { closed: [], opened: [] };

      const now = new Date(Math.max(this.clock.now().getTime(), ...believed.map((b) => b.entity.sysFrom.getTime())));
      const opened: UnknownRecord[] = [];
      const openedIds: string[] = [];
      for (const p of plan.open) {
        const entity = validateEntity<UnknownRecord & Record<string, unknown>>(this.spec, openedRecord(ctx.tenantId, a, p, now) as unknown as Record<string, unknown>);
        const doc = encodeDocument(this.spec, entity, null);
        await this.coll.insertOne(doc);
        opened.push(entity);
        openedIds.push(legacyIdOf(doc._id));
      }
      const closed: UnknownRecord[] = [];
      const closedIds: string[] = [];
      for (const r of plan.close) {
        const legacyId = believed.find((b) => b.entity.id === r.id)!.legacyId;
        // The closed version keeps its undeclared legacy fields (the spread drops the non-enumerable overflow).
        const next: UnknownRecord = withLegacyExtra({ ...r, sysTo: now, updatedAt: nextTimestamp(this.clock, r.updatedAt) }, legacyExtraOf(r));
        const doc = encodeDocument(this.spec, next as unknown as Record<string, unknown>, legacyId);
        const res = await this.coll.replaceOne({ _id: doc._id, tenantId: await tenantMatch(this.db, this.spec.collection, ctx), [this.f('sysTo')]: null, updatedAt: r.updatedAt }, doc);
        if (res.matchedCount === 0) throw new PersistenceError(`${qualifiedName(this.spec)} ${r.id} was closed concurrently; retry (the new version ${opened.map((o) => o.id).join(', ')} is recorded)`);
        closed.push(next);
        closedIds.push(legacyId);
      }
      // Reported closings first: a secondary that keeps one open row per subject (PostgreSQL's unique
      // index) must see the old open row closed before the new one arrives.
      for (const [i, row] of closed.entries()) await this.emit(ctx, row, closedIds[i]!);
      for (const [i, row] of opened.entries()) await this.emit(ctx, row, openedIds[i]!);
      return { closed, opened };
    });
  }

  async current(ctx: TenantContext, query: UnknownsPageQuery = {}): Promise<Page<UnknownRecord>> {
    return this.page(ctx, { [this.f('validTo')]: null, [this.f('sysTo')]: null }, query, 'current');
  }

  async asOf(ctx: TenantContext, at: AsOf, query: UnknownsPageQuery = {}): Promise<Page<UnknownRecord>> {
    checkTimes(qualifiedName(this.spec), at);
    return this.page(ctx, this.asOfFilter(at), query, 'asOf');
  }

  async subjectAsOf(ctx: TenantContext, subjectHash: string, kind: string, at: AsOf): Promise<UnknownRecord | null> {
    checkSubject(qualifiedName(this.spec), subjectHash, kind);
    checkTimes(qualifiedName(this.spec), at);
    const docs = await this.coll
      .find({ $and: [{ tenantId: await tenantMatch(this.db, this.spec.collection, ctx), [this.f('subjectHash')]: subjectHash, [this.f('kind')]: kind }, this.asOfFilter(at)] }, { sort: { _id: 1 }, ...EXACT_DOCUMENT_READ })
      .toArray();
    if (docs.length > 1) throw new PersistenceError(`${qualifiedName(this.spec)}: ${docs.length} rows of one subject overlap at valid ${at.validTime.toISOString()} (believed at ${at.systemTime.toISOString()})`);
    return docs[0] ? this.decode(docs[0]).entity : null;
  }

  async history(ctx: TenantContext, subjectHash: string, kind: string): Promise<UnknownRecord[]> {
    checkSubject(qualifiedName(this.spec), subjectHash, kind);
    const docs = await this.coll.find({ tenantId: await tenantMatch(this.db, this.spec.collection, ctx), [this.f('subjectHash')]: subjectHash, [this.f('kind')]: kind }, EXACT_DOCUMENT_READ).toArray();
    // By sysFrom, validFrom, then the domain id (the legacy _id would not sort like PostgreSQL's uuid).
    return docs
      .map((d) => this.decode(d).entity)
      .sort((x, y) => x.sysFrom.getTime() - y.sysFrom.getTime() || x.validFrom.getTime() - y.validFrom.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  /** Believed at S and valid at V: sysFrom <= S < sysTo and validFrom <= V < validTo (null = open). */
  private asOfFilter(at: AsOf): Document {
    return {
      [this.f('sysFrom')]: { $lte: at.systemTime },
      [this.f('validFrom')]: { $lte: at.validTime },
      $and: [
        { $or: [{ [this.f('sysTo')]: null }, { [this.f('sysTo')]: { $gt: at.systemTime } }] },
        { $or: [{ [this.f('validTo')]: null }, { [this.f('validTo')]: { $gt: at.validTime } }] },
      ],
    };
  }

  private async page(ctx: TenantContext, condition: Document, query: UnknownsPageQuery, order: string): Promise<Page<UnknownRecord>> {
    const limit = pageSize({ limit: query.limit });
    const s = this.f('subjectHash');
    const k = this.f('kind');
    const clauses: Document[] = [{ tenantId: await tenantMatch(this.db, this.spec.collection, ctx), ...condition }];
    if (query.kind !== undefined) clauses.push({ [k]: query.kind });
    if (query.after) {
      const c = decodeCursor(query.after, 'mongo', order, { entity: qualifiedName(this.spec), keys: [fieldOf(this.spec, 'subjectHash'), fieldOf(this.spec, 'kind')], tie: 'uuid' });
      clauses.push({ $or: [{ [s]: { $gt: c.keys[0] } }, { [s]: c.keys[0], [k]: { $gt: c.keys[1] } }] });
    }
    // MongoDB compares strings by their UTF-8 bytes, like COLLATE "C".
    const docs = await this.coll.find(clauses.length > 1 ? { $and: clauses } : clauses[0]!, { sort: { [s]: 1, [k]: 1, _id: 1 }, limit: limit + 1, ...EXACT_DOCUMENT_READ }).toArray();
    const items = docs.slice(0, limit).map((d) => this.decode(d).entity);
    const last = items[items.length - 1];
    const next = docs.length > limit && last ? encodeCursor({ backend: 'mongo', order, keys: [last.subjectHash, last.kind], tie: last.id }) : null;
    return { items, next };
  }

  private async emit(ctx: TenantContext, row: UnknownRecord, legacyId: string): Promise<void> {
    const change: ChangeRecord<UnknownRecord> = { op: 'upsert', id: row.id, entity: row, at: row.updatedAt, legacyId, audit: null };
    for (const hook of this.hooks) await hook(change as unknown as ChangeRecord, ctx, null);
  }
}
