import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { canonicalEntity, canonicalJson } from '../../src/codec/canonical.js';
import { fieldOf, fieldsOf, isTenantScoped } from '../../src/codec/fields.js';
import type { Entity, EntitySpec } from '../../src/interfaces/entity-spec.js';
import { DuplicateKeyError, NotFoundError, PersistenceError, ValidationError } from '../../src/interfaces/errors.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import type { Backend } from '../../src/interfaces/modules.js';
import type { EntityRepository } from '../../src/interfaces/repository.js';
import { listAll as listAllItems } from '../../src/interfaces/list-all.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

/**
 * The repository contract, run unchanged against Mongo, Postgres and DualWrite for every entity
 * of a module. A module supplies, per entity, a factory of valid new entities (distinct for each i)
 * and a patch that changes at least one field.
 */
export interface EntitySamples {
  readonly make: (i: number) => Record<string, unknown>;
  readonly patch: (i: number) => Record<string, unknown>;
}

export type ModuleSamples = Readonly<Record<string, EntitySamples>>;

export const ALL_BACKENDS: readonly Backend[] = ['Mongo', 'Postgres', 'DualWrite'];

const canon = (spec: EntitySpec, e: unknown) => canonicalJson(canonicalEntity(spec, e as Record<string, unknown>));

/** Compares two entities by a declared order (independent of either backend): bytes for text. */
export function compareByOrder(spec: EntitySpec, orderName: string, a: Record<string, unknown>, b: Record<string, unknown>): number {
  for (const { field, dir } of spec.orders[orderName]!.fields) {
    const c = compareValues(a[field], b[field]);
    if (c !== 0) return dir === 'asc' ? c : -c;
  }
  return 0;
}

function compareValues(x: unknown, y: unknown): number {
  if (x instanceof Date && y instanceof Date) return Math.sign(x.getTime() - y.getTime());
  if (typeof x === 'string' && typeof y === 'string') return Buffer.compare(Buffer.from(x), Buffer.from(y));
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
  if (typeof x === 'boolean' && typeof y === 'boolean') return Number(x) - Number(y);
  throw new Error(`cannot compare ${typeof x} and ${typeof y}`);
}

const listAll = <E extends Entity>(repo: EntityRepository<E>, ctx: TenantContext, order: string, pageSize: number) => listAllItems(repo, ctx, { order }, { pageSize });

/** A text field the entity declares, to test U+0000 refusal (null when it has none). */
function firstTextField(spec: EntitySpec): string | null {
  return fieldsOf(spec).find((f) => !f.standard && f.type === 'text' && !f.enum && !f.generated)?.name ?? null;
}

export function describeModuleContract(module: ModuleDefinition, samples: ModuleSamples, backends: readonly Backend[] = ALL_BACKENDS): void {
  for (const backend of backends) {
    describe(`${module.name} repositories on ${backend}`, function () {
      this.timeout(120_000);
      let t: TestRuntime;
      before(async () => {
        t = await startTestRuntime(backend, { modules: [module] });
      });
      after(async () => t?.close());

      for (const spec of module.entities) {
        const sample = samples[spec.name];
        if (!sample) throw new Error(`${module.name}: no contract samples for ${spec.name}`);
        const repo = () => t.runtime.repository<Entity>(module.name, spec.name);

        describe(spec.name, () => {
          it('inserts and reads back exactly what was stored', async () => {
            const ctx = t.tenant();
            const stored = await repo().insert(ctx, sample.make(1) as never);
            expect(stored.id).to.match(/^[0-9a-f-]{36}$/);
            expect(stored.tenantId).to.equal(ctx.tenantId);
            expect(stored.createdAt).to.be.instanceOf(Date);
            const input = sample.make(1);
            for (const [k, v] of Object.entries(input)) {
              expect(canonicalJson(canonicalEntity(spec, { [k]: v })[k] ?? null), k).to.equal(canonicalJson(canonicalEntity(spec, stored as never)[k] ?? null));
            }
            const read = await repo().get(ctx, stored.id);
            expect(read, 'get').to.not.equal(null);
            expect(canon(spec, read)).to.equal(canon(spec, stored));
          });

          it('finds by each unique key and refuses a duplicate without writing it', async () => {
            const ctx = t.tenant();
            const stored = await repo().insert(ctx, sample.make(2) as never);
            for (const key of spec.uniqueKeys ?? []) {
              const where = Object.fromEntries(key.map((f) => [f, (stored as never)[f]]));
              const found = await repo().findOne(ctx, where as never);
              expect(found?.id, `findOne ${key.join(',')}`).to.equal(stored.id);
              const dup = { ...sample.make(3), ...where };
              let error: unknown;
              try {
                await repo().insert(ctx, dup as never);
              } catch (err) {
                error = err;
              }
              expect(error, `duplicate ${key.join(',')}`).to.be.instanceOf(DuplicateKeyError);
            }
            const all = await listAll(repo(), ctx, 'default', 1000);
            expect(all.map((e) => e.id)).to.deep.equal([stored.id]);
          });

          it('lists in the declared orders, keyset-paged, with nothing lost or repeated', async () => {
            const ctx = t.tenant();
            const ids: string[] = [];
            for (let i = 10; i < 17; i++) ids.push((await repo().insert(ctx, sample.make(i) as never)).id);
            for (const order of Object.keys(spec.orders)) {
              const full = await listAll(repo(), ctx, order, 1000);
              const paged = await listAll(repo(), ctx, order, 3);
              expect(paged.map((e) => e.id), `${order} paged`).to.deep.equal(full.map((e) => e.id));
              expect([...full.map((e) => e.id)].sort()).to.deep.equal([...ids].sort());
              for (let i = 1; i < full.length; i++) {
                const c = compareByOrder(spec, order, full[i - 1] as never, full[i] as never);
                expect(c, `${order} position ${i}`).to.be.at.most(0);
              }
            }
          });

          it('updates fields, bumps updatedAt, and refuses unknown ids', async () => {
            const ctx = t.tenant();
            const stored = await repo().insert(ctx, sample.make(20) as never);
            const patch = sample.patch(20);
            const updated = await repo().update(ctx, stored.id, patch as never);
            expect(updated.updatedAt.getTime()).to.be.greaterThan(stored.updatedAt.getTime());
            expect(updated.createdAt.getTime()).to.equal(stored.createdAt.getTime());
            const read = await repo().get(ctx, stored.id);
            expect(canon(spec, read)).to.equal(canon(spec, updated));
            for (const [k, v] of Object.entries(patch)) {
              expect(canonicalJson(canonicalEntity(spec, read as never)[k] ?? null), k).to.equal(canonicalJson(canonicalEntity(spec, { [k]: v })[k] ?? null));
            }
            let error: unknown;
            try {
              await repo().update(ctx, randomUUID(), patch as never);
            } catch (err) {
              error = err;
            }
            expect(error).to.be.instanceOf(NotFoundError);
          });

          it('deletes once', async () => {
            const ctx = t.tenant();
            const stored = await repo().insert(ctx, sample.make(30) as never);
            expect(await repo().delete(ctx, stored.id)).to.equal(true);
            expect(await repo().delete(ctx, stored.id)).to.equal(false);
            expect(await repo().get(ctx, stored.id)).to.equal(null);
          });

          it("never shows, changes or deletes another tenant's entity", async () => {
            const a = t.tenant();
            const b = t.tenant();
            const stored = await repo().insert(a, sample.make(40) as never);
            expect(await repo().get(b, stored.id)).to.equal(null);
            expect((await repo().list(b, {})).items).to.deep.equal([]);
            for (const key of spec.uniqueKeys ?? []) {
              const where = Object.fromEntries(key.map((f) => [f, (stored as never)[f]]));
              expect(await repo().findOne(b, where as never)).to.equal(null);
            }
            let error: unknown;
            try {
              await repo().update(b, stored.id, sample.patch(40) as never);
            } catch (err) {
              error = err;
            }
            expect(error).to.be.instanceOf(NotFoundError);
            expect(await repo().delete(b, stored.id)).to.equal(false);
            const still = await repo().get(a, stored.id);
            expect(canon(spec, still)).to.equal(canon(spec, stored));
          });

          it('refuses values it cannot store exactly, writing nothing', async () => {
            const ctx = t.tenant();
            const text = firstTextField(spec);
            const bad: Record<string, unknown>[] = [{ ...sample.make(50), notAField: 1 }];
            if (text) bad.push({ ...sample.make(51), [text]: 'nul\u0000byte' }, { ...sample.make(53), [text]: 'lone \uD800 surrogate' });
            // A field the entity derives from others (spec.derive) is recomputed, not taken from the input.
            const derived = new Set(Object.keys(spec.derive?.(sample.make(54)) ?? {}));
            const stamp = fieldsOf(spec).find((f) => !f.standard && f.type === 'timestamp' && !f.generated && !derived.has(f.name));
            if (stamp) bad.push({ ...sample.make(54), [stamp.name]: new Date(Date.UTC(-5000, 0, 1)) });
            const enumField = fieldsOf(spec).find((f) => f.enum && !f.standard);
            if (enumField) bad.push({ ...sample.make(52), [enumField.name]: 'not-a-legal-value' });
            for (const input of bad) {
              let error: unknown;
              try {
                await repo().insert(ctx, input as never);
              } catch (err) {
                error = err;
              }
              expect(error, JSON.stringify(Object.keys(input))).to.be.instanceOf(ValidationError);
            }
            expect((await repo().list(ctx, {})).items).to.deep.equal([]);
          });

          it('replays replicated changes idempotently and never over newer data', async () => {
            const ctx = t.tenant();
            const stored = await repo().insert(ctx, sample.make(60) as never);
            const newer = await repo().update(ctx, stored.id, sample.patch(60) as never);
            const older = { op: 'upsert' as const, id: stored.id, entity: stored, at: stored.updatedAt, legacyId: null, audit: null };
            expect(await repo().applyReplica(ctx, older)).to.equal('skipped-newer');
            expect(canon(spec, await repo().get(ctx, stored.id))).to.equal(canon(spec, newer));
            const replay = { ...older, entity: newer, at: newer.updatedAt };
            expect(await repo().applyReplica(ctx, replay)).to.equal('applied');
            expect(await repo().applyReplica(ctx, replay)).to.equal('applied');
            expect(canon(spec, await repo().get(ctx, stored.id))).to.equal(canon(spec, newer));
            const staleDelete = { op: 'delete' as const, id: stored.id, entity: null, at: stored.updatedAt, legacyId: null, audit: null };
            expect(await repo().applyReplica(ctx, staleDelete)).to.equal('skipped-newer');
            expect(await repo().get(ctx, stored.id)).to.not.equal(null);
          });

          it('rejects a cursor from another order and a bad page size', async () => {
            const ctx = t.tenant();
            for (let i = 70; i < 73; i++) await repo().insert(ctx, sample.make(i) as never);
            const page = await repo().list(ctx, { limit: 1 });
            expect(page.next).to.be.a('string');
            const other = Object.keys(spec.orders).find((o) => o !== 'default');
            if (other) {
              let error: unknown;
              try {
                await repo().list(ctx, { order: other, after: page.next });
              } catch (err) {
                error = err;
              }
              expect(error).to.be.instanceOf(PersistenceError);
            }
            let error: unknown;
            try {
              await repo().list(ctx, { limit: 0 });
            } catch (err) {
              error = err;
            }
            expect(error).to.be.instanceOf(PersistenceError);
          });

          it("refuses every way of asking for another tenant's data, on every call", async () => {
            const a = t.tenant();
            const b = t.tenant();
            const mine = await repo().insert(a, sample.make(90) as never);
            const theirs = await repo().insert(b, sample.make(90) as never);
            const escapes: [string, () => Promise<unknown>][] = [];
            if (isTenantScoped(spec)) {
              const key = (spec.uniqueKeys ?? [])[0] ?? [];
              const byKey = Object.fromEntries(key.map((f) => [f, (theirs as never)[f]]));
              escapes.push(
                ['list where tenantId', () => repo().list(a, { where: { tenantId: b.tenantId } as never })],
                ['findOne tenantId', () => repo().findOne(a, { tenantId: b.tenantId } as never)],
                ['findOne tenantId + unique key', () => repo().findOne(a, { tenantId: b.tenantId, ...byKey } as never)],
                ['findOne tenantId operator', () => repo().findOne(a, { tenantId: { $ne: null } } as never)],
              );
            }
            const plain = fieldsOf(spec).find((f) => !f.standard && f.type !== 'json' && !f.generated);
            if (plain) {
              escapes.push(
                [`findOne ${plain.name} operator`, () => repo().findOne(a, { [plain.name]: { $ne: null } } as never)],
                [`list ${plain.name} operator`, () => repo().list(a, { where: { [plain.name]: { $exists: true } } as never })],
              );
            }
            escapes.push(
              ['findOne id operator', () => repo().findOne(a, { id: { $ne: null } } as never)],
              ['findOne undeclared field', () => repo().findOne(a, { $where: 'true' } as never)],
              ['list where array', () => repo().list(a, { where: [] as never })],
              ['list range operator', () => repo().list(a, { range: { field: 'createdAt', gte: { $ne: null } } } as never)],
              ['get id operator', () => repo().get(a, { $ne: null } as never)],
              ['get non-UUID id', () => repo().get(a, 'not-a-uuid')],
            );
            const forged: unknown[] = [{ tenantId: { $ne: null } }, { tenantId: 'acme' }, { tenantId: b.tenantId.toUpperCase() }, { tenantId: [b.tenantId] }, null, {}, { tenantId: a.tenantId, actorId: { $ne: null } }];
            for (const ctx of forged) {
              const c = ctx as TenantContext;
              escapes.push(
                [`list ctx ${JSON.stringify(ctx)}`, () => repo().list(c, {})],
                [`findOne ctx ${JSON.stringify(ctx)}`, () => repo().findOne(c, {} as never)],
                [`get ctx ${JSON.stringify(ctx)}`, () => repo().get(c, theirs.id)],
                [`insert ctx ${JSON.stringify(ctx)}`, () => repo().insert(c, sample.make(91) as never)],
                [`update ctx ${JSON.stringify(ctx)}`, () => repo().update(c, theirs.id, sample.patch(90) as never)],
                [`delete ctx ${JSON.stringify(ctx)}`, () => repo().delete(c, theirs.id)],
              );
            }
            for (const [what, attempt] of escapes) {
              let error: unknown;
              let result: unknown;
              try {
                result = await attempt();
              } catch (err) {
                error = err;
              }
              expect(error, `${what} returned ${JSON.stringify(result)?.slice(0, 200)}`).to.be.instanceOf(ValidationError);
            }
            // Nothing was written, changed or deleted by the attempts.
            expect(canon(spec, await repo().get(b, theirs.id))).to.equal(canon(spec, theirs));
            expect((await listAll(repo(), a, 'default', 1000)).map((e) => e.id)).to.deep.equal([mine.id]);
            expect((await listAll(repo(), b, 'default', 1000)).map((e) => e.id)).to.deep.equal([theirs.id]);
          });

          it('refuses malformed list arguments with a ValidationError naming the argument', async () => {
            const ctx = t.tenant();
            for (let i = 95; i < 98; i++) await repo().insert(ctx, sample.make(i) as never);
            const page = await repo().list(ctx, { limit: 1 });
            const cursor = JSON.parse(Buffer.from(page.next!, 'base64url').toString('utf8')) as { k: unknown[]; t: unknown };
            const forge = (change: (c: { k: unknown[]; t: unknown }) => void) => {
              const copy = structuredClone(cursor);
              change(copy);
              return Buffer.from(JSON.stringify(copy)).toString('base64url');
            };
            const attempts: [string, string, () => Promise<unknown>][] = [];
            for (const order of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'nope']) {
              attempts.push([`order ${order}`, 'order', () => repo().list(ctx, { order })]);
            }
            attempts.push(
              ['limit string', 'limit', () => repo().list(ctx, { limit: '10' as never })],
              ['limit 0', 'limit', () => repo().list(ctx, { limit: 0 })],
              ['cursor not base64', 'after', () => repo().list(ctx, { after: '%%%' })],
              ['cursor not JSON', 'after', () => repo().list(ctx, { after: Buffer.from('{').toString('base64url') })],
              ['cursor bigint garbage', 'after', () => repo().list(ctx, { after: forge((c) => (c.k[0] = { b: 'zz' })) })],
              ['cursor date out of range', 'after', () => repo().list(ctx, { after: forge((c) => (c.k[0] = { d: 1e20 })) })],
              ['cursor operator key', 'after', () => repo().list(ctx, { after: forge((c) => (c.k[0] = { $gt: '' })) })],
              ['cursor missing key', 'after', () => repo().list(ctx, { after: forge((c) => c.k.pop()) })],
              ['cursor extra key', 'after', () => repo().list(ctx, { after: forge((c) => c.k.push('x')) })],
              ['cursor tie-breaker object', 'after', () => repo().list(ctx, { after: forge((c) => (c.t = { $gt: '' })) })],
            );
            for (const [what, path, attempt] of attempts) {
              let error: unknown;
              try {
                await attempt();
              } catch (err) {
                error = err;
              }
              expect(error, what).to.be.instanceOf(ValidationError);
              expect((error as ValidationError).path, what).to.equal(path);
            }
          });

          if (spec.audit) {
            it('writes an audit row for each change', async () => {
              const ctx = t.tenant();
              const stored = await repo().insert(ctx, sample.make(80) as never);
              await repo().update(ctx, stored.id, sample.patch(80) as never);
              await repo().delete(ctx, stored.id);
              const audit = t.runtime.repository<Entity>(module.name, spec.audit!.name);
              const rows = (await audit.list(ctx, { where: { entityId: stored.id } as never, order: 'byEntity' })).items as unknown as Record<string, unknown>[];
              expect(rows.map((r) => r.action)).to.deep.equal(['insert', 'update', 'delete']);
              expect(rows.every((r) => r.actorId === ctx.actorId)).to.equal(true);
              expect(fieldOf(spec.audit!, 'diff').type).to.equal('json');
            });
          }
        });
      }
    });
  }
}
