import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { oid, roleDoc, spec, startParityBed, T1, userDoc, type ParityBed } from './parity-fixture.js';

// The compiled CLI next to this compiled test (…/test/parity -> …/src/cli/main.js).
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

describe('parity: verify command', function () {
  this.timeout(120_000);
  let bed: ParityBed;
  let out: string;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, 'verify', '--quiet', ...args], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        POSTGRES_URL: bed.t.db.appUrl,
        POSTGRES_ADMIN_URL: bed.t.db.adminUrl,
        MONGO_URL: bed.t.mongoUrl,
        MONGO_DATABASE: bed.t.mongoDatabase,
      },
      timeout: 60_000,
    });

  before(async function () {
    bed = await startParityBed();
    // Separate processes need a persistent legacy store (memory:/folder, or a real MongoDB).
    if (bed.t.mongoUrl === 'memory:') this.skip();
    out = mkdtempSync(join(tmpdir(), 'verify-cli-'));
    const users = [1, 2, 3].map((n) => userDoc(n, T1));
    const roles = [1, 2].map((n) => roleDoc(n, T1));
    await bed.legacy('user', users);
    await bed.convert('user', users);
    await bed.legacy('role', roles);
    await bed.convert('role', roles);
    await bed.admin.query(`update ${tableOf(spec('role'))} set description = 'drifted' where id = $1`, [idFromLegacyId('roles', oid(200_001))]);
  });
  after(async () => {
    await bed?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('exits 0 with zero mismatches, printing the report paths and a one-line summary', () => {
    const r = run('--module', 'Authority', '--collection', 'authority_users', '--out', out);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('report: '))).to.have.length(3);
    for (const l of lines.filter((x) => x.startsWith('report: '))) expect(existsSync(l.slice('report: '.length))).to.equal(true);
    expect(lines[lines.length - 1]).to.match(/^Authority parity: OK: 1 of 1 entities compared, 3 rows matched.*digest sha256:[0-9a-f]{64}$/);
  });

  it('exits 1 on a mismatch and writes only the formats asked for', () => {
    const r = run('--module', 'authority', '--collection', 'roles', '--out', out, '--format', 'json');
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/report: .*parity-authority-roles\.json\n/);
    expect(r.stdout).to.not.match(/\.html/);
    expect(r.stdout).to.match(/FAILED.*1 data mismatch/);
  });

  it('exits 2 on usage errors: unknown collection, unknown format, missing --module', () => {
    const unknown = run('--module', 'Authority', '--collection', 'nope', '--out', out);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/Authority has no collection "nope"; allowed: authority_users \(user\)/);
    const format = run('--module', 'Authority', '--format', 'pdf', '--out', out);
    expect(format.status).to.equal(2);
    expect(format.stderr).to.match(/unknown format "pdf"/);
    expect(run('--out', out).status).to.equal(2);
    const mod = run('--module', 'Nope', '--out', out);
    expect(mod.status).to.equal(2);
    expect(mod.stderr).to.match(/unknown module "Nope"/);
  });
});
