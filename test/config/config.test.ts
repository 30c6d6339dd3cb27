import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { dualWriteFor } from '../../src/config/persistence-config.js';
import { ConfigError } from '../../src/interfaces/errors.js';
import { packageRoot } from '../../src/postgres/migrations/index.js';

const dir = mkdtempSync(join(tmpdir(), 'stellaops-config-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const base = { MONGO_URL: 'memory:', POSTGRES_URL: 'postgres://app:s3cr3t-pw@db.example:5432/stellaops' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** Runs the real binary and returns its exit code and stderr. */
function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [join(packageRoot(), 'dist/src/cli/main.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('configuration', () => {
  it('reads defaults, then the file, then the environment', () => {
    const path = file('a.json', { Persistence: { Authority: 'Postgres', Policy: 'DualWrite' }, Postgres: { Pool: { Max: 7 } } });
    const c = loadConfig({ env: { ...base, PERSISTENCE_CONFIG: path, PERSISTENCE_POLICY: 'Mongo' } });
    expect(c.Persistence.Authority).to.equal('Postgres');
    expect(c.Persistence.Policy, 'env wins over the file').to.equal('Mongo');
    expect(c.Persistence.Scheduler, 'default').to.equal('Mongo');
    expect(c.Postgres.Pool.Max).to.equal(7);
    expect(c.Postgres.Pool.Min, 'seeds default').to.equal(5);
    expect(c.Postgres.Pool.IdleTimeoutMs).to.equal(600000);
    expect(c.Mongo.Database).to.equal('stellaops');
    expect(Object.isFrozen(c) && Object.isFrozen(c.Postgres.Pool)).to.equal(true);
  });

  it('--config wins over PERSISTENCE_CONFIG', () => {
    const a = file('b1.json', { Persistence: { Authority: 'Postgres' } });
    const b = file('b2.json', { Persistence: { Authority: 'DualWrite' } });
    expect(loadConfig({ file: b, env: { ...base, PERSISTENCE_CONFIG: a } }).Persistence.Authority).to.equal('DualWrite');
  });

  it('lets one module override the DualWrite block', () => {
    const path = file('c.json', { DualWrite: { Primary: 'Postgres' }, DualWriteOverrides: { Notify: { Primary: 'Mongo', ConvertOnRead: true } } });
    const c = loadConfig({ env: { ...base, PERSISTENCE_CONFIG: path } });
    expect(dualWriteFor(c, 'Notify')).to.include({ Primary: 'Mongo', ConvertOnRead: true, WriteToBoth: true });
    expect(dualWriteFor(c, 'Authority')).to.include({ Primary: 'Postgres', ConvertOnRead: false });
  });

  it('refuses a bad value naming the key, the value and what is allowed', () => {
    const e = configError(() => loadConfig({ env: { ...base, PERSISTENCE_AUTHORITY: 'Sql' } }));
    expect(e.message).to.contain('Persistence.Authority').and.contain('PERSISTENCE_AUTHORITY').and.contain('"Sql"').and.contain('Mongo, Postgres, DualWrite');
  });

  it('refuses an unknown key, naming it', () => {
    const path = file('d.json', { Persistence: { Authority: 'Mongo', Authorty: 'Mongo' } });
    const e = configError(() => loadConfig({ env: { ...base, PERSISTENCE_CONFIG: path } }));
    expect(e.message).to.contain('Persistence.Authorty').and.contain('unknown key');
  });

  it('refuses a missing URL a module needs, naming the key and the variable', () => {
    const e = configError(() => loadConfig({ env: { MONGO_URL: 'memory:', PERSISTENCE_SCHEDULER: 'Postgres' } }));
    expect(e.message).to.contain('Postgres.Url').and.contain('POSTGRES_URL').and.contain('Scheduler');
    const m = configError(() => loadConfig({ env: { POSTGRES_URL: base.POSTGRES_URL } }));
    expect(m.message).to.contain('Mongo.Url').and.contain('MONGO_URL');
  });

  it('never shows a secret in an error', () => {
    const e = configError(() => loadConfig({ env: { ...base, POSTGRES_URL: 'mysql://root:hunter2@x/db' } }));
    expect(e.message).to.contain('Postgres.Url').and.not.contain('hunter2');
    const path = file('e.json', { Postgres: { Url: 'postgres://app:hunter3@x/db' }, Persistence: { Authority: 'Nope' } });
    expect(configError(() => loadConfig({ env: { MONGO_URL: 'memory:', PERSISTENCE_CONFIG: path } })).message).to.not.contain('hunter3');
  });

  it('refuses a config file that is not JSON or does not exist', () => {
    expect(configError(() => loadConfig({ env: { ...base, PERSISTENCE_CONFIG: file('f.json', '{ nope') } })).message).to.contain('not valid JSON');
    expect(configError(() => loadConfig({ file: join(dir, 'absent.json'), env: base })).message).to.contain('does not exist');
  });

  describe('through the CLI', () => {
    it('exits 2 and names the key for a bad value', () => {
      const r = cli(['status'], { ...base, PERSISTENCE_AUTHORITY: 'Sql' });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('Persistence.Authority');
    });

    it('exits 2 and names the key for an unknown key in --config', () => {
      const r = cli(['migrate', '--config', file('g.json', { Postgress: {} })], base);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('Postgress');
    });

    it('exits 2 and names the key for a missing URL, without leaking secrets', () => {
      const r = cli(['migrate'], { MONGO_URL: 'mongodb://u:topsecret@h/' });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('Postgres.Url').and.not.contain('topsecret');
    });

    it('exits 2 on an unknown command or option, 0 on --help', () => {
      expect(cli(['frobnicate'], base).code).to.equal(2);
      expect(cli(['migrate', '--nope'], base).code).to.equal(2);
      for (const cmd of ['migrate', 'status', 'convert', 'verify', 'reconcile', 'seed', 'demo']) {
        const r = cli([cmd, '--help'], base);
        expect(r.code, cmd).to.equal(0);
        expect(r.stdout, cmd).to.contain('Usage:');
      }
    });
  });
});
