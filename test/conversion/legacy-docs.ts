import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ObjectId, UUID, type Document } from 'bson';
import { canonicalEntity, canonicalJson } from '../../src/codec/canonical.js';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';
import { decodeDocument, EXACT_DOCUMENT_READ } from '../../src/mongo/document-codec.js';
import { fromRow } from '../../src/postgres/row-codec.js';
import { selectList, tableOf } from '../../src/postgres/entity-sql.js';
import type { ConversionEnv } from './conversion-env.js';

export const TENANTS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
const T0 = Date.UTC(2025, 0, 1);

/** A legacy `authority_users` document (camelCase, string tenant, BSON Dates, absent nullable fields). */
export function userDoc(i: number): Document {
  const doc: Document = {
    // Mostly ObjectIds, some string ids: ranges cross type classes.
    _id: i % 10 === 0 ? `user-${String(i).padStart(6, '0')}` : new ObjectId(i.toString(16).padStart(24, '0')),
    tenantId: TENANTS[i % TENANTS.length],
    username: `user-${i}`,
    status: ['active', 'disabled', 'locked'][i % 3],
    mfaEnabled: i % 2 === 0,
    createdAt: new Date(T0 + i * 1000),
    updatedAt: new Date(T0 + i * 1000 + 7),
  };
  if (i % 4) doc.email = `u${i}@example.org`;
  if (i % 5 === 0) doc.displayName = null;
  else doc.displayName = `User ${i} “quoted” \\ tab\t`;
  if (i % 3 === 0) doc.lastLoginAt = new Date(T0 + i * 2000 + 123);
  return doc;
}

/**
 * Nine `authority_users` documents (usernames user-901 ... user-909, apart from userDoc(0..899)): four the
 * conversion must quarantine (a date before 4714 BC, which timestamptz cannot hold; a tenant that is no UUID) and five clean ones.
 */
export function quarantineUsers(): Document[] {
  const bad = (i: number, extra: Document) => ({ ...userDoc(i), ...extra });
  return [
    bad(901, { tenantId: TENANTS[1], lastLoginAt: new Date(Date.UTC(-5000, 0, 1)) }),
    bad(902, { tenantId: TENANTS[2], lastLoginAt: new Date(Date.UTC(-5000, 0, 2)) }),
    bad(903, { tenantId: 42 }), // no valid tenant (a named tenant such as 'acme' converts: README "Tenant registry")
    bad(904, { tenantId: new UUID(TENANTS[0]!), lastLoginAt: new Date(Date.UTC(-5000, 0, 4)) }), // tenant as a subtype-4 Binary
    ...[905, 906, 907, 908, 909].map(userDoc),
  ];
}
/** The tenant each quarantined document of {@link quarantineUsers} names, by username. */
export const EXPECTED_QUARANTINE_TENANTS = { 'user-901': TENANTS[1], 'user-902': TENANTS[2], 'user-903': null, 'user-904': TENANTS[0] };

/** Seeds documents in chunks (the memory: store journals each insertMany). */
export async function seed(env: ConversionEnv, collection: string, docs: Document[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 1000) await env.mongo.db.collection(collection).insertMany(docs.slice(i, i + 1000));
}

/**
 * The end state every conversion must reach: one row per eligible document (no duplicate, no gap),
 * each equal to the decoded document in canonical form, with its legacy_id.
 */
export async function expectExactlyConverted(env: ConversionEnv, spec: EntitySpec, eligible: (doc: Document) => boolean = () => true): Promise<number> {
  const sourceDocs = await env.mongo.db.collection(spec.collection).find({}, EXACT_DOCUMENT_READ).toArray();
  const expected = new Map<string, string>();
  for (const doc of sourceDocs) {
    const decoded = decodeDocument(spec, doc);
    if (!eligible(doc)) continue;
    expected.set(decoded.legacyId, canonicalJson(canonicalEntity(spec, decoded.entity)));
  }
  const rows = (await env.admin.query(`select ${selectList(spec)} from ${tableOf(spec)}`)).rows;
  const ids = new Set(rows.map((r) => r.id as string));
  expect(ids.size, 'no duplicate ids').to.equal(rows.length);
  expect(rows.length, 'one row per eligible document').to.equal(expected.size);
  for (const row of rows) {
    const want = expected.get(row.legacy_id as string);
    expect(want, `row ${row.legacy_id} comes from an eligible document`).to.not.equal(undefined);
    expect(canonicalJson(canonicalEntity(spec, fromRow(spec, row))), row.legacy_id as string).to.equal(want);
  }
  return rows.length;
}

/** The compiled CLI beside the compiled tests. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the CLI to completion: exit code, stdout, stderr. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Waits until `probe` answers true (errors count as not yet), or fails after `ms`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet (the tables may not exist yet)
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
