import { expect } from 'chai';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize, type Document, type ObjectId } from 'bson';
import { runConversion } from '../../src/conversion/index.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { user } from '../../src/modules/authority/entities.js';
import { runVerify } from '../../src/parity/index.js';
import { startConversionEnv, type ConversionEnv } from './conversion-env.js';
import { seed, userDoc } from './legacy-docs.js';

/** Valid BSON of one more user, then made unreadable in place. */
interface Corruption {
  name: string;
  /** Spoils `bytes` (the user's valid BSON) so that no driver reads it. */
  spoil(bytes: Buffer): void;
}

const CORRUPTIONS: Corruption[] = [
  {
    name: 'invalid UTF-8 in a string (an overlong "/")',
    spoil(bytes) {
      const at = bytes.indexOf(Buffer.from('bad-XX'));
      bytes[at + 4] = 0xc0;
      bytes[at + 5] = 0xaf;
    },
  },
  {
    name: 'an illegal boolean byte (2)',
    spoil(bytes) {
      const key = Buffer.from('mfaEnabled\0');
      bytes[bytes.indexOf(key) + key.length] = 2;
    },
  },
];

/**
 * A legacy document whose stored bytes no driver reads (invalid UTF-8 in a string or an illegal
 * boolean, as older writers left them): `convert` quarantines it as unreadable BSON under its real
 * `_id` with its exact bytes, and `verify`'s data parity accounts for it through that quarantine
 * instead of stopping the whole verification. The bytes go straight into the `memory:/folder` journal
 * (a driver cannot write them); with MONGO_URL set the test is skipped, saying so.
 */
for (const corruption of CORRUPTIONS) {
  describe(`conversion and parity: a legacy document with ${corruption.name}`, function () {
    this.timeout(120_000);
    let env: ConversionEnv;

    before(async function () {
      env = await startConversionEnv('conv_unreadable');
      if (!env.mongoUrl.startsWith('memory:/')) {
        await env.close();
        this.skip(); // a real MongoDB: the test cannot plant bytes its driver refuses to write
      }
    });
    after(async () => env?.close());

    it('is quarantined as unreadable by convert and counted as quarantined by verify', async () => {
      const docs = Array.from({ length: 9 }, (_, i) => userDoc(i + 1));
      await seed(env, 'authority_users', docs);
      const bad: Document = { ...userDoc(42), username: 'bad-XX', mfaEnabled: true };
      const bytes = Buffer.from(serialize(bad));
      corruption.spoil(bytes);
      expect(() => deserialize(bytes), 'the planted bytes are unreadable').to.throw();
      const journal = join(env.mongoUrl.slice('memory:'.length), env.mongoDatabase, 'authority_users.bson');
      expect(existsSync(journal), journal).to.equal(true);
      appendFileSync(journal, Buffer.concat([Buffer.from([0x01]), bytes]));

      const report = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', progress: 'none', log: () => undefined });
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      expect(report.collections[0]).to.include({ converted: 9, quarantined: 1 });
      const q = (await env.admin.query(`select legacy_id, reason, document_bson from core.conversion_quarantine where collection = 'authority_users'`)).rows;
      expect(q).to.have.length(1);
      expect(q[0].legacy_id).to.equal(`oid:${(bad._id as ObjectId).toHexString()}`);
      expect(q[0].reason).to.match(/^unreadable BSON: /);
      expect(Buffer.compare(q[0].document_bson, bytes), 'the exact bytes are kept').to.equal(0);

      const { report: parity, exitCode } = await runVerify({ config: env.config, module: authorityModule, collections: [user.collection], outDir: null });
      const data = parity.data[0]!;
      expect(data.counts).to.include({ mongoDocuments: 10, postgresRows: 9, matched: 9, quarantined: 1, undecodable: 0, missingInPostgres: 0, missingInMongo: 0, differing: 0 });
      expect(parity.summary.dataMismatches, JSON.stringify(parity.summary)).to.equal(0);
      // The legacy repository itself cannot read a list that holds the document (its driver refuses the
      // bytes), while PostgreSQL answers without it: output parity reports that, and verify fails.
      expect(parity.summary.outputMismatches).to.be.greaterThan(0);
      expect(exitCode).to.equal(1);
    });
  });
}
