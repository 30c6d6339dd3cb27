import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { packageRoot } from '../../src/postgres/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../setup/environment.js';

const exec = promisify(execFile);
/**
 * The environment without npm's own variables: under `npm test` they name this project
 * (`npm_config_local_prefix`, ...), and a nested `npm install` would install into it.
 */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
  ...extra,
});
const root = packageRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; devDependencies: Record<string, string> };

/** The ```ts blocks of the README's "Using it as a library" section, in order. */
function readmeLibraryExamples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Using it as a library');
  expect(start, 'README has a "Using it as a library" section').to.be.greaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** A second consumer file: the rest of the public API, type-checked strictly and exercised. */
const API_CHECK = `
import { createServer } from 'node:http';
import {
  AuthorityTokens, CONCELIER_JOB_STATUSES, ConfigError, JOB_STATUSES, MODULES, PersistenceError, PersistenceRuntime, ValidationError,
  createLogger, formatSummary, loadConfig, maskSecrets, metricsHandler, runConversion, runVerify, tenantContext,
  type ConversionReport, type DualWriteEvent, type PendingBacklog, type UserRepository, type VerifyResult,
} from '${pkg.name}';

const events: DualWriteEvent[] = [];
try {
  loadConfig({ env: { PERSISTENCE_AUTHORITY: 'Postgress' } });
  throw new Error('a bad config value was accepted');
} catch (err) {
  if (!(err instanceof ConfigError) || !(err instanceof PersistenceError)) throw err;
}
const runtime = await PersistenceRuntime.start(loadConfig(), { publish: (e) => events.push(e), logger: createLogger({ level: 'warn' }) });
const server = createServer(metricsHandler(runtime));
try {
  const users = runtime.get<UserRepository>(AuthorityTokens.user);
  const ctx = tenantContext('3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10');
  const page = await users.list(ctx, { order: 'default', limit: 10 });
  const backlog: PendingBacklog[] = await runtime.pendingBacklog();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const scrape = await fetch(\`http://127.0.0.1:\${address.port}/metrics\`);
  const conversion: ConversionReport = await runConversion({ config: runtime.config, module: 'Authority', collection: 'authority_users', progress: 'none', log: () => {} });
  const verify: VerifyResult = await runVerify({ config: runtime.config, module: 'Authority', collections: ['authority_users'], outDir: null });
  console.log(JSON.stringify({
    users: page.items.map((u) => u.username),
    backlog,
    scrapeStatus: scrape.status,
    scrapeType: scrape.headers.get('content-type'),
    exposition: await scrape.text(),
    conversion: conversion.collections.map((c) => ({ collection: c.collection, outcome: c.outcome, converted: c.converted, lines: formatSummary(c).length })),
    parity: { ok: verify.report.summary.ok, dataMismatches: verify.report.summary.dataMismatches, exitCode: verify.exitCode },
    modules: MODULES.map((m) => m.name),
    statuses: [JOB_STATUSES.length, CONCELIER_JOB_STATUSES.length],
    masked: maskSecrets('postgres://app:hunter2@db/x'),
    validationError: typeof ValidationError,
    events: events.length,
  }));
} finally {
  server.close();
  await runtime.close();
}
`;

describe('the package, packed and consumed by a strict TypeScript project', function () {
  this.timeout(600_000);
  let work: string;
  let db: TestDatabase;
  let tarball: string;
  const app = () => join(work, 'consumer');

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'stellaops-pack-'));
    db = await createTestDatabase('pack');
    const packed = await exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    const [info] = JSON.parse(packed.stdout) as { filename: string }[];
    tarball = join(work, info!.filename);
  });
  after(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
    await db?.drop();
  });

  it('ships the built library, its declarations, migrations and default config, and no tests or sources', async function () {
    const listed = await exec('tar', ['-tzf', tarball], { maxBuffer: 64 * 1024 * 1024 });
    const files = listed.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    expect(files).to.include.members(['package.json', 'README.md', 'config/default.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'src/modules/core/migrations/001_core_schema.sql']);
    expect(files.filter((f) => f.startsWith('dist/test') || f.startsWith('dist/bench') || f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts') || f.endsWith('.map')), 'no tests, benchmarks, TypeScript sources or source maps').to.deep.equal([]);
    expect(files.filter((f) => !/^(package\.json|README\.md|config\/default\.json|dist\/src\/.*\.(js|d\.ts)|src\/modules\/[a-z-]+\/migrations\/[A-Z0-9_a-z-]+\.sql)$/.test(f))).to.deep.equal([]);
  });

  it('installs from the tarball; the README example and the API check compile strictly and run against PostgreSQL and memory:', async () => {
    const dir = app();
    const examples = readmeLibraryExamples();
    expect(examples.length, 'the README shows the library example and the metrics mount').to.be.greaterThanOrEqual(2);
    await exec('mkdir', ['-p', join(dir, 'src')]);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
    // Offline from the npm cache when it holds everything (it does after `npm ci`), else the registry.
    await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, `@types/node@${pkg.devDependencies['@types/node']}`], { cwd: dir, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, outDir: 'dist', rootDir: 'src', types: ['node'] },
        include: ['src/**/*.ts'],
      }),
    );
    examples.forEach((code, i) => writeFileSync(join(dir, 'src', `readme-${i + 1}.ts`), code));
    writeFileSync(join(dir, 'src', 'api-check.ts'), API_CHECK);
    // The project's own TypeScript compiler, strict, with the consumer's view of the package: its
    // package.json `exports` / `types` and the emitted declarations only (TS7016 would fail here).
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      await exec(process.execPath, [tsc, '-p', dir], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`the consumer does not compile:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }

    const env = {
      PATH: process.env.PATH ?? '',
      POSTGRES_URL: db.appUrl,
      POSTGRES_ADMIN_URL: db.adminUrl,
      MONGO_URL: 'memory:',
      PERSISTENCE_AUTHORITY: 'Postgres',
    };
    // The README example, as written: twice (the second run finds alice instead of inserting her).
    const first = await exec(process.execPath, [join(dir, 'dist', 'readme-1.js')], { cwd: dir, env });
    expect(first.stdout).to.match(/^refused: Authority\.user\.username: .*U\+0000/m);
    const line = /^alice \(([0-9a-f-]{36})\) is one of 1 user\(s\) of the tenant$/m.exec(first.stdout);
    expect(line, first.stdout + first.stderr).to.not.equal(null);
    const second = await exec(process.execPath, [join(dir, 'dist', 'readme-1.js')], { cwd: dir, env });
    expect(second.stdout).to.contain(`alice (${line![1]}) is one of 1 user(s) of the tenant`);
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      const rows = (await admin.query(`select id, username, tenant_id from authority."user"`)).rows;
      expect(rows).to.deep.equal([{ id: line![1], username: 'alice', tenant_id: '3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10' }]);
    } finally {
      await admin.end();
    }

    // The rest of the API: config errors, the /metrics handler over HTTP, conversion and parity.
    const check = await exec(process.execPath, [join(dir, 'dist', 'api-check.js')], { cwd: dir, env });
    const result = JSON.parse(check.stdout);
    expect(result.users).to.deep.equal(['alice']);
    expect(result.backlog).to.deep.equal([]);
    expect(result.scrapeStatus).to.equal(200);
    expect(result.scrapeType).to.match(/^text\/plain; version=0\.0\.4/);
    expect(result.exposition).to.match(/^stellaops_metrics_source_up\{source="postgres_pending"\} 1$/m);
    expect(result.conversion).to.deep.equal([{ collection: 'authority_users', outcome: 'completed', converted: 0, lines: 1 }]);
    // The README example wrote alice to PostgreSQL only; this run's memory: legacy store is empty.
    expect(result.parity).to.deep.equal({ ok: false, dataMismatches: 1, exitCode: 1 });
    expect(result.modules).to.include.members(['Authority', 'Scheduler', 'Concelier']);
    expect(result.statuses).to.deep.equal([6, 5]);
    expect(result.masked).to.equal('postgres://app:***@db/x');
    expect(result.validationError).to.equal('function');

    // The binary comes with the package.
    const bin = await exec(join(dir, 'node_modules', '.bin', 'stellaops-persistence'), ['--version'], { cwd: dir, env });
    expect(bin.stdout.trim()).to.equal(pkg.version);
    expect(existsSync(join(dir, 'node_modules', pkg.name, 'src', 'modules', 'authority', 'migrations', '001_authority_schema.sql'))).to.equal(true);
  });
});
