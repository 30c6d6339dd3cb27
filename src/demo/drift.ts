import { Binary, Decimal128, Int32, Long, ObjectId, type Document } from 'bson';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { fieldOf, fieldsOf, isTenantScoped } from '../codec/fields.js';
import { legacyIdOf } from '../mongo/legacy-id.js';
import { DemoRandom } from '../modules/shared/demo-random.js';

/**
 * `demo --drift`: the drift real legacy collections have, applied generically to any module's
 * generated legacy documents from its entity declarations alone (fields, types, unique keys,
 * collection), deterministically for a seed:
 * - undeclared fields in a third of the documents of every collection (one document of every three,
 *   which one drawn by a seeded PRNG): `legacyFlag: true` and two more of `_class`, `schemaVersion`,
 *   `importedAt`, `legacyRef`, `legacySeq`, `legacyMeta`, of as many BSON types;
 * - typed BSON values inside `json` payloads, in a third of the documents that have an object-valued
 *   `json` field: a `legacyTyped` key holding a Date, an Int64 beyond 2^53, a Decimal128, a NaN, an
 *   ObjectId, a Binary, a stored update (`$set`, `$inc`) and a `$schema`;
 * - named tenants: every tenant's UUID is replaced by a name (`acme`, `globex`, ...) consistently in
 *   every module, except the last tenant's (when there are two or more), which stays a UUID string as
 *   legacy documents already naming a UUID do;
 * - one broken unique key per module: the first document (in generation order) of a tier-A entity
 *   with a declared unique key is followed by a copy under a later `_id` (so conversion, in `_id`
 *   order, keeps the original and refuses the copy), same tenant, same natural key.
 * Documents are never modified in place (generators may share nested values between documents).
 */

export interface DriftOptions {
  readonly seed: number;
  readonly tenants: readonly string[];
  readonly now: Date;
}

/** Legacy tenant names, in order; past the list, `tenant-<n>`. */
export const TENANT_NAMES: readonly string[] = Object.freeze(['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne']);

/**
 * The legacy name each tenant UUID gets: all of them but the last when there are two or more (that
 * one keeps its UUID, as legacy tenants that already are UUIDs do).
 *
 * @example
 * tenantNames(['1111...', '2222...', '3333...']); // Map { '1111...' => 'acme', '2222...' => 'globex' }
 */
export function tenantNames(tenants: readonly string[]): Map<string, string> {
  const named = tenants.length >= 2 ? tenants.slice(0, -1) : tenants;
  return new Map(named.map((t, i) => [t, TENANT_NAMES[i] ?? `tenant-${i + 1}`]));
}

/** What the drift did to one collection. */
export interface DriftedCollection {
  /** Documents yielded (the deliberate duplicate included). */
  documents: number;
  /** Documents given undeclared fields. */
  undeclared: number;
  /** Documents given typed values inside a json payload. */
  typedPayloads: number;
  /** Documents whose tenant became a name. */
  namedTenants: number;
}

/** The one deliberately broken unique key of a module. */
export interface DeliberateDuplicate {
  readonly collection: string;
  /** Legacy id of the copy (conversion refuses it). */
  readonly legacyId: string;
  /** Legacy id of the document it copies (conversion keeps it). */
  readonly duplicateOf: string;
  readonly key: readonly string[];
  /** The tenant as the legacy documents name it. */
  readonly tenant: string;
}

export interface DriftLedger {
  readonly module: string;
  readonly collections: Readonly<Record<string, DriftedCollection>>;
  /** Tenant UUID -> legacy name. */
  readonly tenantNames: Readonly<Record<string, string>>;
  readonly duplicate: DeliberateDuplicate | null;
}

/** Names of the undeclared fields, each with a value of its own BSON type. */
const UNDECLARED: readonly (readonly [string, (r: DemoRandom, collection: string, now: Date) => unknown])[] = [
  ['_class', (_r, c) => `com.stellaops.legacy.${c.replace(/[^A-Za-z0-9]/g, '_')}`],
  ['schemaVersion', (r) => new Int32(r.int(1, 4))],
  ['importedAt', (r, _c, now) => new Date(now.getTime() - r.int(1, 2000) * 86_400_000)],
  ['legacyRef', (r) => r.objectId()],
  ['legacySeq', (r) => Long.fromBigInt(2n ** 53n + BigInt(r.int(1, 1_000_000)))],
  ['legacyMeta', (r) => ({ importer: 'v1', tags: ['migrated', `batch-${r.int(1, 9)}`], checksum: new Binary(Buffer.from(r.hex(16), 'hex'), 0) })],
];

/** The typed values put inside a json payload. */
export function typedPayloadValues(r: DemoRandom, now: Date): Document {
  return {
    at: new Date(now.getTime() - r.int(1, 1000) * 86_400_000),
    big: Long.fromBigInt(2n ** 53n + BigInt(r.int(1, 1_000_000))),
    amount: Decimal128.fromString(`${r.int(0, 99_999)}.${String(r.int(0, 9999)).padStart(4, '0')}`),
    ratio: NaN,
    ref: r.objectId(),
    blob: new Binary(Buffer.from(r.hex(16), 'hex'), 0),
    update: { $set: { status: 'locked' }, $inc: { 'counters.logins': 1 } },
    $schema: 'https://schemas.stellaops.example/legacy/v1.json',
  };
}

/** One document of every three, which one drawn per block of three. */
class ThirdChooser {
  private seen = 0;
  private pick = 0;

  constructor(private readonly r: DemoRandom) {}

  next(): boolean {
    if (this.seen % 3 === 0) this.pick = this.r.int(0, 2);
    return this.seen++ % 3 === this.pick;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v as { _bsontype?: string })._bsontype && !(v instanceof Date) && !Buffer.isBuffer(v) && !(v instanceof RegExp);

/**
 * An `_id` that sorts after `id` in MongoDB's order (numbers < strings < binData < ObjectId), or
 * null when there is none at hand (an ObjectId of all f's...).
 */
export function laterId(id: unknown, r: DemoRandom): unknown {
  if (typeof id === 'number') return `${id}`;
  if (typeof id === 'string') return `${id}~duplicate`;
  const bsontype = (id as { _bsontype?: string } | null)?._bsontype;
  if (bsontype === 'ObjectId') {
    const next = BigInt(`0x${(id as ObjectId).toHexString()}`) + 1n;
    return next < 2n ** 96n ? new ObjectId(next.toString(16).padStart(24, '0')) : null;
  }
  if (bsontype === 'Binary') return r.objectId();
  return null;
}

interface CollectionState {
  readonly spec: EntitySpec | null;
  readonly undeclared: ThirdChooser;
  readonly typed: ThirdChooser;
  readonly r: DemoRandom;
  readonly stats: DriftedCollection;
}

/**
 * Applies the drift to one module's generated documents.
 *
 * @example
 * const drift = new ModuleDrift(authorityModule, { seed: 42, tenants, now });
 * await loadLegacyDocuments(db, drift.apply(authorityModule.demo!(options)));
 * drift.ledger().duplicate; // { collection: 'roles', legacyId: 'str:...~duplicate', ... }
 */
export class ModuleDrift {
  private readonly states = new Map<string, CollectionState>();
  private readonly names: Map<string, string>;
  private duplicate: DeliberateDuplicate | null = null;

  constructor(
    private readonly module: ModuleDefinition,
    private readonly options: DriftOptions,
  ) {
    this.names = tenantNames(options.tenants);
  }

  *apply(documents: Iterable<readonly [string, Document]>): Iterable<readonly [string, Document]> {
    for (const [collection, original] of documents) {
      const state = this.state(collection);
      const doc = this.drift(state, original);
      state.stats.documents++;
      yield [collection, doc] as const;
      if (this.duplicate === null && state.spec) {
        const copy = this.brokenKey(state, doc);
        if (copy) {
          state.stats.documents++;
          yield [collection, copy] as const;
        }
      }
    }
  }

  ledger(): DriftLedger {
    const collections: Record<string, DriftedCollection> = {};
    for (const name of [...this.states.keys()].sort()) collections[name] = { ...this.states.get(name)!.stats };
    return { module: this.module.name, collections, tenantNames: Object.fromEntries(this.names), duplicate: this.duplicate };
  }

  private state(collection: string): CollectionState {
    let state = this.states.get(collection);
    if (!state) {
      const { seed } = this.options;
      const name = this.module.name;
      state = {
        spec: this.module.entities.find((e) => e.collection === collection) ?? null,
        undeclared: new ThirdChooser(new DemoRandom(seed, 'drift', name, collection, 'undeclared')),
        typed: new ThirdChooser(new DemoRandom(seed, 'drift', name, collection, 'typed')),
        r: new DemoRandom(seed, 'drift', name, collection, 'values'),
        stats: { documents: 0, undeclared: 0, typedPayloads: 0, namedTenants: 0 },
      };
      this.states.set(collection, state);
    }
    return state;
  }

  /** The drifted copy of one document (a collection no entity declares is left as it is). */
  private drift(state: CollectionState, original: Document): Document {
    const spec = state.spec;
    if (!spec) return original;
    const doc: Document = { ...original };
    if (isTenantScoped(spec)) {
      const field = fieldOf(spec, 'tenantId').mongo;
      const raw = doc[field];
      const tenant = typeof raw === 'string' ? raw.toLowerCase() : (raw as { _bsontype?: string; sub_type?: number } | null)?._bsontype === 'Binary' && (raw as Binary).sub_type === 4 ? (raw as Binary).toUUID().toHexString(true) : null;
      const name = tenant === null ? undefined : this.names.get(tenant);
      if (name !== undefined) {
        doc[field] = name;
        state.stats.namedTenants++;
      }
    }
    const jsonFields = spec.fields.filter((f) => f.type === 'json' && !f.generated).map((f) => f.mongo ?? f.name).filter((m) => isPlainObject(doc[m]));
    if (jsonFields.length > 0 && state.typed.next()) {
      const target = state.r.pick(jsonFields);
      doc[target] = { ...(doc[target] as Record<string, unknown>), legacyTyped: typedPayloadValues(state.r, this.options.now) };
      state.stats.typedPayloads++;
    }
    if (state.undeclared.next()) {
      const taken = new Set(['_id', ...fieldsOf(spec).map((f) => f.mongo)]);
      const free = UNDECLARED.filter(([name]) => !taken.has(name));
      if (!taken.has('legacyFlag')) doc.legacyFlag = true;
      for (let k = 0; k < 2 && free.length > 0; k++) {
        const [name, value] = free.splice(state.r.int(0, free.length - 1), 1)[0]!;
        doc[name] = value(state.r, spec.collection, this.options.now);
      }
      state.stats.undeclared++;
    }
    return doc;
  }

  /** The copy breaking a unique key, when `doc` can be the module's one (tier A, a complete key, a later `_id` at hand). */
  private brokenKey(state: CollectionState, doc: Document): Document | null {
    const spec = state.spec!;
    if (spec.tier.tier !== 'A' || !isTenantScoped(spec) || !spec.uniqueKeys?.length) return null;
    const key = spec.uniqueKeys[0]!;
    if (key.some((f) => doc[fieldOf(spec, f).mongo] === null || doc[fieldOf(spec, f).mongo] === undefined)) return null;
    const id = laterId(doc._id, state.r);
    if (id === null) return null;
    const tenant = doc[fieldOf(spec, 'tenantId').mongo];
    this.duplicate = { collection: spec.collection, legacyId: legacyIdOf(id), duplicateOf: legacyIdOf(doc._id), key, tenant: typeof tenant === 'string' ? tenant : String(tenant) };
    return { ...doc, _id: id };
  }
}
