import { expect } from 'chai';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/interfaces/errors.js';

/** `require` of loadConfig: true demands a URL, false never asks for it, absent follows the modules' backends. */
describe('config: which URLs a command requires', () => {
  const pgOnly = { POSTGRES_URL: 'postgres://app@db.example:5432/stellaops' };

  it('modules on Mongo (the default) need MONGO_URL unless the command says it opens no MongoDB', () => {
    expect(() => loadConfig({ env: pgOnly, require: { postgres: true } })).to.throw(ConfigError, /Mongo\.Url \(environment variable MONGO_URL\) is missing/);
    const config = loadConfig({ env: pgOnly, require: { postgres: true, mongo: false } });
    expect(config.Mongo.Url).to.equal(null);
    expect(config.Postgres.Url).to.equal(pgOnly.POSTGRES_URL);
  });

  it('true still demands the URL no module needs, and false on one URL leaves the other demanded', () => {
    expect(() => loadConfig({ env: { MONGO_URL: 'memory:' }, require: { postgres: true } })).to.throw(ConfigError, /POSTGRES_URL\) is missing; this command needs PostgreSQL/);
    expect(() => loadConfig({ env: { PERSISTENCE_AUTHORITY: 'Postgres', MONGO_URL: 'memory:' }, require: { mongo: false } })).to.throw(ConfigError, /POSTGRES_URL/);
  });
});
