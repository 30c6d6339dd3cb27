import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decimal128, Long, ObjectId } from 'bson';
import { connectMongo } from '../../src/mongo/mongo-data-source.js';
import { collectionChecker } from '../../src/cli/seed-plan.js';
import { MODULES } from '../../src/modules/registry.js';
import { runCli } from '../setup/run-cli.js';

/**
 * `seed` through the binary against a memory:/folder store: every refusal exits 2 naming the file and
 * the spot, and leaves the store untouched (every file is read and checked before anything is written).
 */
describe('seed through the binary: strict input, nothing half-applied', function () {
  this.timeout(120_000);
  let dir: string;
  let env: Record<string, string>;
  let n = 0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seed-cli-'));
    env = { MONGO_URL: `memory:${join(dir, 'legacy')}` };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes a seed file (text or raw bytes) into the test folder; returns its path. */
  const file = (content: string | Buffer, name = `input-${++n}.ejson`) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const seed = (...args: string[]) => runCli(['seed', ...args], env);
  /** The documents now in a legacy collection of the store the CLI wrote. */
  async function stored(collection: string): Promise<Record<string, unknown>[]> {
    const mongo = await connectMongo(env.MONGO_URL!, 'stellaops');
    try {
      return (await mongo.db.collection(collection).find({}).toArray()) as Record<string, unknown>[];
    } finally {
      await mongo.close();
    }
  }
  const oid = (i: number) => `5f1e2d3c4b5a69788796a5${i.toString(16).padStart(2, '0')}`;
  const user = (i: number, extra = '') => `{"_id": {"$oid": "${oid(i)}"}, "tenantId": "t1", "username": "u${i}"${extra}}`;

  it('loads exactly what the Extended JSON says: dates with offset and milliseconds, $numberLong, $numberDecimal; identical repeats loaded once', async () => {
    const path = file(`{"authority_users": [\n ${user(1, ', "createdAt": {"$date": "2021-03-04T10:20:30.123+02:00"}, "n": {"$numberLong": "9007199254740993"}, "d": {"$numberDecimal": "0.10"}')},\n ${user(2, ', "createdAt": {"$date": {"$numberLong": "-1000"}}')},\n ${user(2, ', "createdAt": {"$date": {"$numberLong": "-1000"}}')}\n]}`);
    const r = await seed(path);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('authority_users: 2 inserted, 0 already present, 1 repeated identically in the input (loaded once)\n');
    const docs = (await stored('authority_users')).sort((a, b) => String(a.username).localeCompare(String(b.username)));
    expect(docs).to.have.length(2);
    expect((docs[0]!.createdAt as Date).getTime()).to.equal(Date.UTC(2021, 2, 4, 8, 20, 30, 123));
    expect((docs[0]!.n as Long).toString()).to.equal('9007199254740993');
    expect((docs[0]!.d as Decimal128).toString()).to.equal('0.10');
    expect((docs[1]!._id as ObjectId).toHexString()).to.equal(oid(2));
    expect((docs[1]!.createdAt as Date).toISOString()).to.equal('1969-12-31T23:59:59.000Z');

    const again = await seed(path, '--json');
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout)).to.deep.equal({ collections: { authority_users: { inserted: 0, alreadyPresent: 2, repeatedInInput: 1 } } });
  });

  it('refuses a $date that bson would store as an invalid or shifted date, naming file, document, line and path', async () => {
    const lines = [
      user(1, ', "createdAt": {"$date": "2021-01-01T00:00:00Z"}'),
      user(2, ', "createdAt": {"$date": "not-a-date"}'),
      '',
      user(3, ', "profile": {"since": {"$date": "2021-02-30T00:00:00Z"}}'),
      user(4, ', "createdAt": {"$date": "2021-01-01T00:00:00"}'),
      user(5, ', "createdAt": {"$date": 1609459200000}'),
      user(6, ', "createdAt": {"$date": "2021-01-01T00:00:00.1234Z"}'),
    ];
    const path = file(lines.join('\n'), 'users.ejson');
    const r = await seed(path, '--collection', 'authority_users');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${path}: document 2 (line 2): createdAt: $date "not-a-date" is not an ISO-8601 date-time`);
    expect(r.stderr).to.contain(`${path}: document 3 (line 4): profile.since: $date "2021-02-30T00:00:00Z" is not a calendar date`);
    expect(r.stderr).to.match(/document 4 \(line 5\): createdAt: \$date "2021-01-01T00:00:00" is not an ISO-8601 date-time/);
    expect(r.stderr).to.contain('document 5 (line 6): createdAt: $date 1609459200000 is a plain number');
    expect(r.stderr).to.contain('document 6 (line 7): createdAt: $date "2021-01-01T00:00:00.1234Z" is more precise than a millisecond');
    expect(r.stderr).to.contain('nothing was loaded');
    expect(await stored('authority_users')).to.deep.equal([]);
  });

  it('refuses a file that is not UTF-8, naming line, column and byte offset, instead of reading U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from(`{"authority_users": [\n ${user(1)},\n {"_id": {"$oid": "${oid(2)}"}, "username": "caf`), Buffer.from([0xe9]), Buffer.from('"}\n]}')]);
    const path = file(bytes);
    const r = await seed(path);
    expect(r.code).to.equal(2);
    const offset = bytes.indexOf(0xe9);
    expect(r.stderr).to.contain(`${path}: line 3, column 64 (byte ${offset}): invalid UTF-8 (bytes e9)`);
    expect(await stored('authority_users')).to.deep.equal([]);
  });

  it('names the line and column of a JSON syntax error, in a whole-file document and in JSON lines', async () => {
    const whole = file(`{"authority_users": [\n ${user(1)},\n {"_id": 2, "a": 1,}\n]}`);
    const r = await seed(whole);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${whole}: line 3, column 20: invalid JSON: expected a member name in double quotes, found '}'`);

    const jsonl = file(`${user(1)}\n${user(2)}\n{"_id": 3, "a": tru}\n`);
    const l = await seed(jsonl, '--collection', 'authority_users');
    expect(l.code).to.equal(2);
    expect(l.stderr).to.contain(`${jsonl}: line 3, column 17: invalid JSON: expected a value, found 't'`);

    const lines = file(`{"authority_users": []}\n{"roles": []}\n`);
    const t = await seed(lines);
    expect(t.code).to.equal(2);
    expect(t.stderr).to.contain(`${lines}: line 2, column 1: invalid JSON: unexpected '{' after the end of the JSON value (one document per line needs --collection)`);
    expect(await stored('authority_users')).to.deep.equal([]);
  });

  it('refuses bad $oid, $numberLong, $binary and wrappers with extra keys, naming file, collection, document and path', async () => {
    const path = file(
      `{"authority_users": [\n ${user(1)},\n {"_id": {"$oid": "5f1e2d3c4b5a69788796a5"}},\n` +
        ` ${user(3, ', "n": {"$numberLong": "12x"}, "b": {"$binary": {"base64": "!!!", "subType": "00"}}')},\n` +
        ` ${user(4, ', "ref": {"$oid": "' + oid(9) + '", "note": "dropped by bson"}, "u": {"$undefined": true}, "t": {"$Date": "2021-01-01T00:00:00Z"}')}\n]}`,
    );
    const r = await seed(path);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${path}: authority_users document 2 (line 3): _id: $oid "5f1e2d3c4b5a69788796a5" is not 24 hexadecimal digits`);
    expect(r.stderr).to.contain(`${path}: authority_users document 3 (line 4): n: $numberLong "12x" is not an integer string`);
    expect(r.stderr).to.contain(`${path}: authority_users document 3 (line 4): b: $binary base64 "!!!" is not canonical base64`);
    expect(r.stderr).to.contain('document 4 (line 5): ref: $oid must be the only key of its object (also found note)');
    expect(r.stderr).to.contain('document 4 (line 5): u: $undefined (deprecated BSON undefined) would be stored as null');
    expect(r.stderr).to.contain('document 4 (line 5): t: $Date is not an Extended JSON type');
    expect(await stored('authority_users')).to.deep.equal([]);
  });

  it('a missing file is exit 2 naming it, and the valid files before it are not loaded', async () => {
    const good = file(`{"authority_users": [${user(1)}]}`);
    const missing = join(dir, 'absent.ejson');
    const r = await seed(good, missing);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`error: ${missing}: no such file`);
    expect(r.stderr).to.not.contain('ENOENT');
    expect(await stored('authority_users')).to.deep.equal([]);
  });

  it('refuses an unknown collection (exit 2), listing the legacy collections the modules declare, audit and custom stores included', async () => {
    const path = file(`{"authority_users": [${user(1)}],\n "authority_user": [${user(2)}]}`);
    const r = await seed(path);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${path}: line 2, column 2: unknown collection "authority_user"; the modules' legacy collections are Authority: authority_users,`);
    expect(r.stderr).to.contain('scheduler_audit').and.to.contain('job_queue').and.to.contain('outbox').and.to.contain('Excititor: vex.statements');
    expect(await stored('authority_users')).to.deep.equal([]);

    const option = await seed(file(`${user(1)}\n`), '--collection', 'authority_user');
    expect(option.code).to.equal(2);
    expect(option.stderr).to.contain('--collection: unknown collection "authority_user"');
  });

  it('reports two documents with the same _id and different content, naming both, across files, and loads nothing', async () => {
    const a = file(`{"authority_users": [\n ${user(1)},\n ${user(2)}\n]}`, 'a.ejson');
    const b = file(`{"roles": [{"_id": {"$oid": "${oid(2)}"}, "name": "r"}],\n "authority_users": [\n ${user(3)},\n {"_id": {"$oid": "${oid(2)}"}, "tenantId": "t1", "username": "other"}\n]}`, 'b.ejson');
    const r = await seed(a, b);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${b}: authority_users document 2 (line 4): same _id {"$oid":"${oid(2)}"} in authority_users as ${a}: authority_users document 2 (line 3), with different content`);
    expect(r.stderr.match(/same _id/g)).to.have.length(1); // the same _id in another collection is no conflict
    expect(await stored('authority_users')).to.deep.equal([]);
    expect(await stored('roles')).to.deep.equal([]);
  });

  it('every collection the module demos write is one seed accepts', () => {
    const check = collectionChecker(MODULES);
    const now = new Date(Date.UTC(2026, 0, 1));
    const written = new Set<string>();
    for (const m of MODULES) for (const [c] of m.demo?.({ tenants: ['0b5f5a4e-7c1d-4a8e-9f00-000000000001'], count: 2, seed: 1, now, corpusDir: null }) ?? []) written.add(c);
    expect(written.size).to.be.greaterThan(20);
    expect([...written].filter((c) => check(c) !== null)).to.deep.equal([]);
    expect(check('authority_user')).to.match(/^unknown collection "authority_user"/);
  });
});
