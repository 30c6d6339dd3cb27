import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, corpusRelativePath, ExactJsonError, listCorpusFiles, numberLossReason, parseExactJson, readCorpusJson } from '../../src/corpus/index.js';

function thrown(fn: () => unknown): ExactJsonError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ExactJsonError);
    return err as ExactJsonError;
  }
  throw new Error('expected an ExactJsonError');
}

describe('corpus reader', () => {
  describe('parseExactJson', () => {
    it('parses ordinary JSON, astral characters and $-keys unchanged', () => {
      const v = parseExactJson('{"$schema":"x","s":"\\ud83d\\ude00 😀","n":[5.0,1E2,-0,0.1,1.5e-7,9007199254740991]}', 'a.json');
      expect(v).to.deep.equal({ $schema: 'x', s: '😀 😀', n: [5, 100, -0, 0.1, 1.5e-7, 9007199254740991] });
    });

    it('names file and path of an integer beyond 2^53', () => {
      const err = thrown(() => parseExactJson('{"a":[{"b":12345678901234567890}]}', 'big.json'));
      expect(err.file).to.equal('big.json');
      expect(err.issues).to.deep.equal([{ path: '$.a[0].b', reason: 'integer 12345678901234567890 is beyond 2^53 and would lose precision as a JS number' }]);
      expect(err.message).to.contain('big.json').and.contain('$.a[0].b');
    });

    it('refuses decimals a double would change, and overflow', () => {
      expect(numberLossReason('0.1')).to.equal(null);
      expect(numberLossReason('5.000')).to.equal(null);
      expect(numberLossReason('1.00000000000000000001')).to.match(/would change to 1/);
      expect(numberLossReason('1e400')).to.match(/beyond the range/);
      expect(numberLossReason('-9007199254740992')).to.match(/beyond 2\^53/);
      const err = thrown(() => parseExactJson('{"odd key":{"x":3.14159265358979323846264}}', 'pi.json'));
      expect(err.issues[0]!.path).to.equal('$["odd key"].x');
    });

    it('refuses duplicate keys and lone surrogates, and reports syntax errors with the file', () => {
      expect(thrown(() => parseExactJson('{"a":1,"a":2}', 'd.json')).issues[0]).to.deep.equal({ path: '$.a', reason: 'duplicate key (a JS object keeps only the last value)' });
      expect(thrown(() => parseExactJson('["\\ud800x"]', 's.json')).issues[0]!.path).to.equal('$[0]');
      expect(thrown(() => parseExactJson('{"a":', 'bad.json')).message).to.match(/^bad\.json: is not valid JSON/);
    });
  });

  describe('files', () => {
    let root: string;
    before(() => {
      root = mkdtempSync(join(tmpdir(), 'corpus-'));
      mkdirSync(join(root, 'advisories', 'b'), { recursive: true });
      mkdirSync(join(root, 'advisories', 'a'), { recursive: true });
      writeFileSync(join(root, 'advisories', 'b', 'Z.json'), '{}');
      writeFileSync(join(root, 'advisories', 'b', 'a.json'), '{}');
      writeFileSync(join(root, 'advisories', 'a', 'x.json'), '{"n":1}');
      writeFileSync(join(root, 'advisories', 'a', 'notes.txt'), 'no');
      writeFileSync(join(root, 'advisories', 'a', 'latin1.json'), Buffer.from([0x22, 0xe9, 0x22]));
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    it('lists .json files sorted by relative path, per kind and sub-folder', () => {
      const all = listCorpusFiles('advisories', undefined, root).map((p) => corpusRelativePath(p, root));
      expect(all).to.deep.equal(['advisories/a/latin1.json', 'advisories/a/x.json', 'advisories/b/Z.json', 'advisories/b/a.json']);
      expect(listCorpusFiles('advisories', 'b', root).map((p) => corpusRelativePath(p, root))).to.deep.equal(['advisories/b/Z.json', 'advisories/b/a.json']);
      expect(() => listCorpusFiles('advisories', '../x', root)).to.throw(/plain folder name/);
      expect(() => listCorpusFiles('sbom', undefined, root)).to.throw(/does not exist/);
      expect(() => listCorpusFiles('sbom', undefined, null)).to.throw(/corpus is absent/);
    });

    it('reads strictly: invalid UTF-8 is an error, not U+FFFD', () => {
      expect(readCorpusJson(join(root, 'advisories', 'a', 'x.json'))).to.deep.equal({ n: 1 });
      expect(thrown(() => readCorpusJson(join(root, 'advisories', 'a', 'latin1.json'))).message).to.match(/not valid UTF-8/);
    });

    it('honours STELLAOPS_CORPUS', () => {
      const saved = process.env.STELLAOPS_CORPUS;
      try {
        process.env.STELLAOPS_CORPUS = root;
        expect(corpusDir()).to.equal(root);
        process.env.STELLAOPS_CORPUS = join(root, 'missing');
        expect(corpusDir()).to.equal(null);
      } finally {
        if (saved === undefined) delete process.env.STELLAOPS_CORPUS;
        else process.env.STELLAOPS_CORPUS = saved;
      }
    });
  });

  describe('the shared corpus', function () {
    const dir = corpusDir();
    before(function () {
      if (!dir) this.skip();
    });

    it('reads every file exactly (none loses precision)', function () {
      if (!dir) return this.skip();
      const problems: string[] = [];
      let count = 0;
      for (const kind of ['advisories', 'sbom', 'vex'] as const) {
        for (const f of listCorpusFiles(kind)) {
          count++;
          try {
            readCorpusJson(f);
          } catch (err) {
            problems.push((err as Error).message);
          }
        }
      }
      expect(count).to.be.greaterThan(1000);
      expect(problems).to.deep.equal([]);
    });
  });
});
