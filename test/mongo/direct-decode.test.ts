import { expect } from 'chai';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, serialize, type Document } from 'bson';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';
import { MODULES } from '../../src/modules/registry.js';
import { user } from '../../src/modules/authority/entities.js';
import { fieldsOf, type ResolvedField } from '../../src/codec/fields.js';
import { legacyExtraOf } from '../../src/codec/legacy-extra.js';
import { TenantRegistry } from '../../src/codec/tenant-registry.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { decodeDocumentBytes, legacyIdOfBytes } from '../../src/mongo/direct-decode.js';
import { idIsFirst } from '../../src/mongo/bson-elements.js';
import { legacyIdOf } from '../../src/mongo/legacy-id.js';
import { SourceDocument } from '../../src/conversion/source-document.js';
import { DemoRandom } from '../../src/modules/shared/demo-random.js';

/**
 * The one-pass decoder (src/mongo/direct-decode.ts) against the general path it stands in for
 * (the driver's type-exact read + legacyIdOf + decodeDocument): on every declaration of every module,
 * for the demo documents and for generated ones with every BSON type in every field and hostile bytes
 * (invalid UTF-8, duplicate keys, bad booleans, dates PostgreSQL cannot hold...), each answer it gives
 * is the general path's, and it answers for the plain documents (so that the comparison is not empty).
 */

const TENANT = '11111111-1111-4111-8111-111111111111';
const PINS = { globex: '5b1d0c4e-2f3a-4b5c-8d6e-7f8091a2b3c4' };

/** Deterministic pseudo-random numbers: the same documents on every run. */
function random(seed: number): () => number {
  const r = new DemoRandom(seed, 'direct-decode');
  return () => r.next();
}

type General = { ok: true; legacyId: string; entity: Record<string, unknown> } | { ok: false; error: string };

function general(spec: EntitySpec, bytes: Buffer, tenants: TenantRegistry): General {
  try {
    const doc = SourceDocument.fromCursorItem(bytes).driverDocument();
    const legacyId = legacyIdOf(doc._id);
    return { ok: true, legacyId, entity: decodeDocument(spec, doc, legacyId, tenants).entity };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Counts of what the fast path did with a set of documents. */
interface Tally {
  accepted: number;
  declined: number;
}

/** Compares both paths on one document; returns whether the fast path answered. */
function compare(spec: EntitySpec, bytes: Buffer, label: string): boolean {
  // The `_id` alone (a sharded verification's range test): when it answers, it is the legacy id conversion keys the document by.
  const quick = legacyIdOfBytes(bytes);
  if (quick !== null) expect(quick, `${label}: legacyIdOfBytes`).to.equal(legacyIdOf(SourceDocument.fromCursorItem(bytes).id()));
  // It reads a stored-first `_id` only (the element conversion falls back on when the rest is unreadable).
  if (!idIsFirst(bytes)) expect(quick, `${label}: legacyIdOfBytes of an _id not stored first`).to.equal(null);
  const fast = decodeDocumentBytes(spec, bytes, new TenantRegistry(PINS));
  if (fast !== null && idIsFirst(bytes)) expect(quick, `${label}: a decoded document's _id reads alone too`).to.equal(fast.legacyId);
  if (fast === null) return false;
  const slow = general(spec, bytes, new TenantRegistry(PINS));
  if (!slow.ok) expect.fail(`${label}: the fast path accepted a document the general path refuses (${slow.error})`);
  expect(fast.legacyId, label).to.equal(slow.legacyId);
  expect(Object.keys(fast.entity), label).to.deep.equal(Object.keys(slow.entity));
  expect(fast.entity, label).to.deep.equal(slow.entity);
  expect(legacyExtraOf(fast.entity), label).to.deep.equal(legacyExtraOf(slow.entity));
  return true;
}

const CONTROL = '\t\n\r\\';
/** The field types the fast path reads (others are left to the general path when present). */
const SIMPLE_TYPES = new Set(['text', 'uuid', 'bool', 'timestamp', 'int', 'float']);

/** Values a legacy field may hold: the field's own type in many spellings, and every other common BSON type. */
function candidates(field: ResolvedField, rnd: () => number): unknown[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const text = pick(['plain', 'naïve é', '日本語', 'emoji 😀', `with ${pick([...CONTROL])} control`, 'nul\u0000inside', '', 'x'.repeat(300)]);
  const enumValue = field.enum ? pick([...field.enum, 'not-a-member', field.enum[0]!.toUpperCase()]) : null;
  return [
    enumValue ?? text,
    pick([TENANT, TENANT.toUpperCase(), 'acme', 'globex', PINS.globex, 'not a uuid', '']),
    pick([true, false]),
    new Date(pick([0, 1_700_000_000_123, -62_135_596_800_000, Date.UTC(-4713, 10, 24), Date.UTC(-4713, 10, 24) - 1, 8.64e15, 253_402_300_800_000])),
    new Int32(pick([0, -1, 2 ** 31 - 1, -(2 ** 31)])),
    new Double(pick([0, -0, 1.5, 42, NaN, Infinity, 2 ** 53])),
    Long.fromString(pick(['0', '7', '9007199254740993', '-9223372036854775808'])),
    Decimal128.fromString(pick(['1.50', '0', '-1E+3'])),
    new Binary(Buffer.from('0123456789abcdef'), pick([0, 4])),
    null,
    undefined,
    [pick(['a', 'b']), TENANT],
    { nested: pick(['x', 1]) },
    new ObjectId('65a1b2c3d4e5f60718293a4b'),
  ];
}

/** A document of `spec` with a plausible (usually valid) value in each field. */
function plainDocument(spec: EntitySpec, i: number, rnd: () => number): Document {
  const doc: Document = { _id: new ObjectId(`65c0${i.toString(16).padStart(20, '0')}`) };
  for (const field of fieldsOf(spec)) {
    if (field.name === 'id' || field.generated) continue;
    if (field.nullable && rnd() < 0.2) continue;
    switch (field.type) {
      case 'text':
        doc[field.mongo] = field.enum ? field.enum[i % field.enum.length]! : `${field.name}-${i}${i % 3 ? 'é' : ''}${i % 7 ? '' : '\t\\'}`;
        break;
      case 'uuid':
        doc[field.mongo] = field.name === 'tenantId' ? (['acme', TENANT, 'globex'] as const)[i % 3] : TENANT;
        break;
      case 'bool':
        doc[field.mongo] = i % 2 === 0;
        break;
      case 'timestamp':
        doc[field.mongo] = new Date(1_700_000_000_000 + i * 61_000);
        break;
      case 'int':
        doc[field.mongo] = new Int32(i);
        break;
      case 'float':
        doc[field.mongo] = new Double(i / 4);
        break;
      default:
        // Types the fast path leaves to the general one: absent when nullable, else some value.
        if (!field.nullable) doc[field.mongo] = null;
    }
  }
  return doc;
}

const WRITE = { checkKeys: false, ignoreUndefined: false } as const;
const bytesOf = (doc: Document) => Buffer.from(serialize(doc, WRITE));

/** Hostile byte-level variants of a document's BSON. */
function mutations(bytes: Buffer, rnd: () => number): Buffer[] {
  const out: Buffer[] = [];
  // A byte flipped somewhere (length prefixes, type tags, string bytes...).
  for (let k = 0; k < 4; k++) {
    const b = Buffer.from(bytes);
    const at = 4 + Math.floor(rnd() * (b.length - 5));
    b[at] = pick256(rnd);
    out.push(b);
  }
  // Invalid UTF-8 inside the first string value.
  const str = bytes.indexOf(0x02, 4);
  if (str > 0) {
    const b = Buffer.from(bytes);
    const valueAt = b.indexOf(0, str + 1) + 5;
    if (valueAt < b.length - 2) {
      b[valueAt] = 0xc0;
      out.push(b);
    }
  }
  // Truncated, and with trailing garbage.
  out.push(bytes.subarray(0, bytes.length - 1));
  out.push(Buffer.concat([bytes, Buffer.from([0])]));
  return out;
}

const pick256 = (rnd: () => number) => Math.floor(rnd() * 256);

/** A document with the first occurrence of a key repeated (bson keeps the last: the general path decides). */
function withDuplicateKey(doc: Document, key: string, value: unknown): Buffer {
  const first = bytesOf({ [key]: value });
  const body = bytesOf(doc);
  // Splice the one-element document's element in front of the other's elements.
  const element = first.subarray(4, first.length - 1);
  const out = Buffer.concat([body.subarray(0, 4), element, body.subarray(4)]);
  out.writeInt32LE(out.length, 0);
  return out;
}

const ENTITIES = MODULES.flatMap((m) => m.entities);

describe('one-pass BSON decoding (direct-decode)', function () {
  this.timeout(120_000);

  it('decodes the plain documents of every declaration exactly as the general path does', () => {
    const rnd = random(1);
    const simple = ENTITIES.filter((spec) => !spec.derive && fieldsOf(spec).every((f) => !f.generated && (SIMPLE_TYPES.has(f.type) || f.nullable)));
    expect(simple.length, 'declarations of simple fields only').to.be.greaterThan(3);
    for (const spec of ENTITIES) {
      const tally: Tally = { accepted: 0, declined: 0 };
      for (let i = 0; i < 60; i++) {
        const accepted = compare(spec, bytesOf(plainDocument(spec, i, rnd)), `${spec.collection} plain #${i}`);
        tally[accepted ? 'accepted' : 'declined']++;
      }
      // A declaration of simple fields (payload fields absent) is read here whole; the others may decline.
      if (simple.includes(spec)) expect(tally, spec.collection).to.deep.equal({ accepted: 60, declined: 0 });
    }
  });

  it('accepts every plain Authority user (the shape conversion meets most)', () => {
    const rnd = random(2);
    for (let i = 0; i < 500; i++) {
      expect(compare(user, bytesOf(plainDocument(user, i, rnd)), `user #${i}`), `user #${i}`).to.equal(true);
    }
  });

  it('gives the general answer or none for every BSON type in every field', () => {
    const rnd = random(3);
    let accepted = 0;
    for (const spec of ENTITIES) {
      const base = plainDocument(spec, 1, rnd);
      for (const field of fieldsOf(spec)) {
        if (field.name === 'id') continue;
        for (const value of candidates(field, rnd)) {
          const doc = { ...base, [field.mongo]: value };
          if (compare(spec, bytesOf(doc), `${spec.collection}.${field.mongo} = ${String(value)}`)) accepted++;
          const missing = { ...base };
          delete missing[field.mongo];
          compare(spec, bytesOf(missing), `${spec.collection} without ${field.mongo}`);
        }
      }
    }
    expect(accepted).to.be.greaterThan(0);
  });

  it('leaves other _id types, overflow fields and duplicate keys to the general path, or agrees with it', () => {
    const rnd = random(4);
    const base = plainDocument(user, 3, rnd);
    const ids: unknown[] = ['str-id', 'nul\u0000id', '', 42, new Int32(7), Long.fromNumber(9), new Binary(Buffer.alloc(16, 1), 4), null, { a: 1 }, new Double(1.5)];
    for (const id of ids) compare(user, bytesOf({ ...base, _id: id }), `_id ${String(id)}`);
    const { _id: _, ...noId } = base;
    expect(decodeDocumentBytes(user, bytesOf(noId), new TenantRegistry(PINS))).to.equal(null);
    expect(legacyIdOfBytes(bytesOf(noId))).to.equal(null);
    expect(compare(user, bytesOf({ ...base, _id: 'str-id' }), 'string _id')).to.equal(true);
    // An undeclared field becomes the overflow: the general path's to build.
    expect(decodeDocumentBytes(user, bytesOf({ ...base, extra: 1 }), new TenantRegistry(PINS))).to.equal(null);
    for (const [key, value] of [['username', 'first'], ['_id', new ObjectId('65a1b2c3d4e5f60718293a4b')], ['status', 'locked']] as const) {
      const bytes = withDuplicateKey(base, key, value);
      expect(decodeDocumentBytes(user, bytes, new TenantRegistry(PINS)), `duplicate ${key}`).to.equal(null);
      if (key === '_id') expect(legacyIdOfBytes(bytes), 'duplicate _id').to.equal(null);
      expect(general(user, bytes, new TenantRegistry(PINS)).ok, `duplicate ${key} is still readable`).to.equal(true);
    }
  });

  it('never accepts hostile bytes the general path refuses, and agrees when it accepts', () => {
    const rnd = random(5);
    for (const spec of ENTITIES) {
      for (let i = 0; i < 20; i++) {
        for (const [k, bytes] of mutations(bytesOf(plainDocument(spec, i, rnd)), rnd).entries()) compare(spec, bytes, `${spec.collection} #${i} mutation ${k}`);
      }
    }
  });

  it('reads the _id stored first alone, whatever the rest holds or spoils, as conversion keys the document', () => {
    const _id = new ObjectId('65a1b2c3d4e5f60718293a4b');
    const rich = { _id, tags: ['a', 'b'], nested: { n: Long.fromNumber(2 ** 40), d: new Decimal128('1.5') }, bin: new Binary(Buffer.from([1, 2]), 4), re: /x+/i, flag: true };
    expect(legacyIdOfBytes(bytesOf(rich))).to.equal(`oid:${_id.toHexString()}`);
    // The same document with its boolean byte spoiled: no driver reads it, yet its key is the same.
    const spoiled = bytesOf(rich);
    spoiled[spoiled.length - 2] = 2;
    expect(() => SourceDocument.fromCursorItem(spoiled).driverDocument()).to.throw(/boolean/);
    expect(legacyIdOfBytes(spoiled)).to.equal(`oid:${_id.toHexString()}`);
    expect(legacyIdOf(SourceDocument.fromCursorItem(spoiled).id())).to.equal(`oid:${_id.toHexString()}`);
    // Stored second: conversion could not read it alone from a spoiled document, so neither does this.
    const second = bytesOf({ flag: true, _id });
    expect(legacyIdOfBytes(second)).to.equal(null);
    second[second.indexOf(Buffer.from('flag\0')) + 5] = 2;
    expect(legacyIdOfBytes(second)).to.equal(null);
    expect(() => SourceDocument.fromCursorItem(second).id(), 'conversion keys it by the hash of its bytes').to.throw(/boolean/);
  });

  it('agrees on the demo documents of every module', () => {
    let accepted = 0;
    for (const module of MODULES) {
      if (!module.demo) continue;
      let n = 0;
      for (const [collection, doc] of module.demo({ tenants: [TENANT, PINS.globex], count: 20, seed: 7, now: new Date(Date.UTC(2026, 0, 1)), corpusDir: null })) {
        const spec = module.entities.find((e) => e.collection === collection);
        if (!spec || n++ > 400) continue;
        if (compare(spec, bytesOf(doc), `${collection} demo ${String(doc._id)}`)) accepted++;
      }
    }
    expect(accepted).to.be.greaterThan(0);
  });
});
