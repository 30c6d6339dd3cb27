import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger, maskSecrets } from '../../src/logging/logger.js';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    stream: new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  };
}

describe('logger: pino JSON records, secrets never written', () => {
  it('writes one JSON record per call with the bindings, a level label and an ISO time', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, bindings: { command: 'convert', module: 'Authority' } });
    log.info({ collection: 'authority_users' }, 'batch loaded');
    log.child({ tenant: '3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10' }).warn('retrying');
    const [a, b] = out.lines.map((l) => JSON.parse(l));
    expect(a).to.include({ level: 'info', command: 'convert', module: 'Authority', collection: 'authority_users', msg: 'batch loaded', pid: process.pid });
    expect(a.time).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(b).to.include({ level: 'warn', tenant: '3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', msg: 'retrying' });
  });

  it('censors secret fields, masks URL passwords in fields, messages and errors', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.info(
      {
        passwordHash: '$argon2id$v=19$abc',
        user: { tokenHash: 'deadbeef', secretHash: 'cafe', username: 'alice' },
        config: { Postgres: { Url: 'postgres://app:hunter2@db:5432/stellaops', AdminUrl: 'postgres://owner:owner-pw@db/stellaops' } },
        url: 'mongodb://legacy:mongo-pw@legacy:27017',
      },
      'connecting to postgres://app:hunter2@db:5432/stellaops',
    );
    log.error({ err: new Error('connect to postgres://owner:owner-pw@db/x refused') }, 'failed');
    const text = out.lines.join('\n');
    for (const secret of ['hunter2', 'owner-pw', 'mongo-pw', 'argon2id', 'deadbeef', 'cafe']) expect(text, secret).to.not.contain(secret);
    const [rec, err] = out.lines.map((l) => JSON.parse(l));
    expect(rec.passwordHash).to.equal('[redacted]');
    expect(rec.user).to.deep.equal({ tokenHash: '[redacted]', secretHash: '[redacted]', username: 'alice' });
    expect(rec.config.Postgres).to.deep.equal({ Url: 'postgres://app:***@db:5432/stellaops', AdminUrl: 'postgres://owner:***@db/stellaops' });
    expect(rec.url).to.equal('mongodb://legacy:***@legacy:27017');
    expect(rec.msg).to.equal('connecting to postgres://app:***@db:5432/stellaops');
    expect(err.err.message).to.equal('connect to postgres://owner:***@db/x refused');
  });

  it('maskSecrets leaves URLs without a password alone', () => {
    expect(maskSecrets('postgres://app@db/x and memory:/tmp/legacy')).to.equal('postgres://app@db/x and memory:/tmp/legacy');
    expect(maskSecrets('a mongodb+srv://u:p%40ss@cluster/x b')).to.equal('a mongodb+srv://u:***@cluster/x b');
  });
});
