import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fieldsOf } from '../../src/codec/fields.js';
import { Fingerprinter, redactPgDetail } from '../../src/codec/sensitive.js';
import { validateEntity } from '../../src/codec/validate.js';
import { runConversion } from '../../src/conversion/index.js';
import { ValidationError } from '../../src/interfaces/errors.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { MODULES } from '../../src/modules/registry.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { legacyIdOf } from '../../src/mongo/legacy-id.js';
import { reportDigest, runVerify, type VerifyReport } from '../../src/parity/index.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';
import { DEMO_OPTIONS } from '../policy/demo-support.js';
import { spec, T1, userDoc } from './parity-fixture.js';

/** The secrets a reader must never find in a report: planted into PostgreSQL after conversion. */
const PLANTED_HASH = '$argon2id$v=19$m=65536,t=3,p=4$cGxhbnRlZHNhbHQ$PLANTEDsecretHASHvalue0123456789abcdef';
const PLANTED_EMAIL = 'planted.mismatch@example.org';
const FP = /^sensitive:[0-9a-f]{12}$/;

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('sensitive fields: declarations', () => {
  it('mark the Authority secrets, and only secrets', () => {
    const marked = MODULES.flatMap((m) => m.entities.flatMap((s) => fieldsOf(s).filter((f) => f.sensitive).map((f) => `${m.name}.${s.name}.${f.name}`)));
    expect(marked).to.deep.equal(['Authority.user.passwordHash', 'Authority.oauth_client.secretHash', 'Authority.oauth_token.tokenHash']);
  });

  it('a ValidationError on a sensitive field shows the fingerprint, never the value', () => {
    const user = spec('user');
    const entity = { id: '7d9a2c2e-4f7b-4c3e-9a59-2b1f0c7e5d11', tenantId: T1, createdAt: new Date(), updatedAt: new Date(), username: 'u', email: null, displayName: null, status: 'active', mfaEnabled: false, lastLoginAt: null };
    let error: Error | null = null;
    try {
      validateEntity(user, { ...entity, passwordHash: 918273645546372819 });
    } catch (err) {
      error = err as Error;
    }
    expect(error).to.be.instanceOf(ValidationError);
    expect(error!.message).to.match(/^Authority\.user\.passwordHash: must be a string, got number sensitive:[0-9a-f]{12}$/);
    expect(error!.message).to.not.include('9182736455');
    // The same value in a non-sensitive field is echoed (the control).
    expect(() => validateEntity(user, { ...entity, passwordHash: null, displayName: 918273645546372819 })).to.throw(/displayName: must be a string, got number 9182736455/);

  });

  it('PostgreSQL details that would echo a secret are redacted, others kept', () => {
    const tokenSpec = authorityModule.entities.find((s) => s.name === 'oauth_token')!;
    const dup = redactPgDetail(tokenSpec, 'Key (tenant_id, token_hash)=(11111111-1111-4111-8111-111111111111, sha256:deadbeefcafe) already exists.');
    expect(dup).to.match(/^Key \(tenant_id, token_hash\)=\(sensitive:[0-9a-f]{12}\) already exists\.$/);
    expect(redactPgDetail(tokenSpec, 'Key (tenant_id, client_id)=(t, c-1) already exists.')).to.equal('Key (tenant_id, client_id)=(t, c-1) already exists.');
    expect(redactPgDetail(tokenSpec, 'Failing row contains (sha256:deadbeefcafe, c-1).')).to.not.include('deadbeefcafe');
  });

  it('fingerprints are keyed: equal values match within one key, and another key gives others', () => {
    const a = new Fingerprinter();
    const b = new Fingerprinter();
    expect(a.fingerprint('s3cret-value')).to.match(FP).and.equal(a.fingerprint('s3cret-value'));
    expect(a.fingerprint('s3cret-value')).to.not.equal(a.fingerprint('s3cret-valuf'));
    expect(a.fingerprint('s3cret-value')).to.not.equal(b.fingerprint('s3cret-value'));
  });
});

describe('sensitive fields: no report format ever shows a secret', function () {
  this.timeout(600_000);
  let env: ConversionEnv;
  let dir: string;
  let report: VerifyReport;
  let exitCode: number;
  let files: { name: string; text: string }[];
  const secrets = new Set<string>([PLANTED_HASH]);
  let tampered: { id: string; original: string };

  before(async () => {
    env = await startConversionEnv('i12_secrets');
    const docs = [...authorityModule.demo!(DEMO_OPTIONS)];
    // A document conversion must quarantine (U+0000), carrying a secret of its own.
    const quarantinedHash = '$argon2id$v=19$quarantinedDocumentSecret0123456789';
    docs.push(['authority_users', userDoc(77, DEMO_OPTIONS.tenants[0]!, { displayName: 'nul\u0000byte', passwordHash: quarantinedHash })]);
    for (const [, doc] of docs) for (const k of ['passwordHash', 'secretHash', 'tokenHash']) if (typeof doc[k] === 'string') secrets.add(doc[k] as string);
    await loadLegacyDocuments(env.mongo.db, docs);
    const conversion = await runConversion({ config: env.config, module: authorityModule, tier: 'auto', referenceTime: DEMO_OPTIONS.now, progress: 'none', log: testLog });
    expect(conversion.collections.find((c) => c.collection === 'authority_users')!.quarantined).to.equal(1);

    // Tamper one converted user: a planted password hash and a planted email.
    const user = spec('user');
    const withHash = docs.find(([c, d]) => c === 'authority_users' && typeof d.passwordHash === 'string' && !String(d.displayName ?? '').includes('\u0000'))![1];
    const { entity } = decodeDocument(user, withHash);
    tampered = { id: entity.id as string, original: withHash.passwordHash as string };
    const res = await env.admin.query(`update ${tableOf(user)} set password_hash = $2, email = $3 where id = $1`, [tampered.id, PLANTED_HASH, PLANTED_EMAIL]);
    expect(res.rowCount).to.equal(1);
    expect(legacyIdOf(withHash._id)).to.be.a('string');

    dir = mkdtempSync(join(tmpdir(), 'parity-secrets-'));
    const result = await runVerify({ config: env.config, module: authorityModule, outDir: dir });
    report = result.report;
    exitCode = result.exitCode;
    files = result.paths.map((p) => ({ name: p, text: readFileSync(p, 'utf8') }));
    expect(files.map((f) => f.name.split('.').slice(1).join('.'))).to.deep.equal(['json', 'html', 'junit.xml']);
  });
  after(async () => {
    await env?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the planted secret and every legacy secret appear 0 times in the JSON, the HTML and the JUnit file', () => {
    expect(secrets.size).to.be.greaterThan(10);
    for (const { name, text } of files) {
      for (const secret of secrets) expect(occurrences(text, secret), `${secret} in ${name}`).to.equal(0);
      // Nor their distinctive parts (a report must not quote a prefix of a hash either).
      expect(occurrences(text, 'PLANTEDsecretHASH'), name).to.equal(0);
      expect(occurrences(text, 'quarantinedDocumentSecret'), name).to.equal(0);
    }
  });

  it('the mismatch is still detected, and reported with distinct fingerprints beside the real, non-sensitive values', () => {
    expect(exitCode).to.equal(1);
    const users = report.data.find((d) => d.entity === 'user')!;
    expect(users.counts).to.include({ differing: 1, quarantined: 1 });
    const sample = users.samples.differing[0]!;
    expect(sample.id).to.equal(tampered.id);
    const byField = Object.fromEntries(sample.differences.map((d) => [d.field, d]));
    expect(Object.keys(byField)).to.deep.equal(['email', 'passwordHash']);
    expect(byField.email!.postgres).to.equal(PLANTED_EMAIL);
    expect(byField.passwordHash!.mongo).to.match(FP);
    expect(byField.passwordHash!.postgres).to.match(FP);
    expect(byField.passwordHash!.mongo).to.not.equal(byField.passwordHash!.postgres);
    // Equal values, equal fingerprints: the row shown and the difference agree.
    expect(sample.mongo!.passwordHash).to.equal(byField.passwordHash!.mongo);
    expect(sample.postgres!.passwordHash).to.equal(byField.passwordHash!.postgres);
    // Output parity found it too, and shows fingerprints there as well.
    const probes = report.output.probes.filter((p) => p.status !== 'match');
    expect(probes.length).to.be.greaterThan(0);
    expect(probes.every((p) => p.entity === 'user')).to.equal(true);
    expect(report.redaction.fields).to.deep.equal(['user.passwordHash', 'oauth_client.secretHash', 'oauth_token.tokenHash']);
    expect(report.redaction.fingerprints).to.be.greaterThan(1);
    for (const { text } of files) expect(text).to.match(/sensitive:[0-9a-f]{12}/);
    // The digest is recomputable from the JSON file alone, fingerprints and all.
    const json = JSON.parse(files[0]!.text) as VerifyReport;
    expect(reportDigest(json)).to.equal(report.digest);
  });

  it('the digest is the same on a run with another fingerprint key, and changes with the real secret', async () => {
    const again = await runVerify({ config: env.config, module: authorityModule, outDir: null, fingerprinter: new Fingerprinter() });
    const shown = (r: VerifyReport) => r.data.find((d) => d.entity === 'user')!.samples.differing[0]!.differences.find((d) => d.field === 'passwordHash')!.postgres;
    expect(shown(again.report)).to.match(FP).and.not.equal(shown(report));
    expect(again.report.redaction.valuesDigest).to.equal(report.redaction.valuesDigest);
    expect(again.report.digest).to.equal(report.digest);
    await env.admin.query(`update ${tableOf(spec('user'))} set password_hash = $2 where id = $1`, [tampered.id, `${PLANTED_HASH}x`]);
    const changed = await runVerify({ config: env.config, module: authorityModule, outDir: null });
    expect(changed.report.data.find((d) => d.entity === 'user')!.counts.differing).to.equal(1);
    expect(changed.report.digest).to.not.equal(report.digest);
    await env.admin.query(`update ${tableOf(spec('user'))} set password_hash = $2 where id = $1`, [tampered.id, PLANTED_HASH]);
  });
});
