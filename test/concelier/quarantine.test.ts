import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load-config.js';
import { runConversion } from '../../src/conversion/index.js';
import { connectMongo } from '../../src/mongo/mongo-data-source.js';
import { createTestDatabase } from '../setup/environment.js';

/**
 * A legacy advisory whose payload timestamp has no Date (a leap second) must be quarantined with the
 * reason, not stop the job: decodeDocument turns a refusal of `spec.derive` into a ConversionError.
 */
describe('Concelier: quarantine of a legacy advisory the domain refuses', function () {
  this.timeout(120_000);
  it('quarantines it with the reason instead of failing the job', async () => {
    const db = await createTestDatabase('vuln_quarantine');
    const env = { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl, MONGO_URL: 'memory:', MONGO_DATABASE: `t_${randomBytes(3).toString('hex')}` };
    const mongo = await connectMongo('memory:', env.MONGO_DATABASE);
    const now = new Date('2026-01-01T00:00:00Z');
    try {
      await mongo.db.collection('advisory').insertOne({ _id: 'GO-2', tenantId: '11111111-1111-4111-8111-111111111111', sourceKey: 'go', advisoryKey: 'GO-2', payload: { id: 'GO-2', modified: '2016-12-31T23:59:60Z' }, contentHash: 'x', createdAt: now, updatedAt: now });
      const report = await runConversion({ config: loadConfig({ env }), module: 'Concelier', collection: 'advisory', progress: 'none' });
      expect(report.collections[0]).to.deep.include({ outcome: 'completed', quarantined: 1, converted: 0 });
    } finally {
      await mongo.close();
      await db.drop();
    }
  });
});
