import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ObjectId, UUID } from 'bson';
import type { LoginAttempt } from '../../src/interfaces/authority.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { loginAttempt } from '../../src/modules/authority/entities.js';
import { connectMongo, type MongoDataSource } from '../../src/mongo/mongo-data-source.js';
import { MongoRepository } from '../../src/mongo/mongo-repository.js';
import { mongoTarget } from '../setup/environment.js';

/**
 * Keyset paging over a legacy collection whose `_id`s mix ObjectIds, strings, UUIDs and integers,
 * all tied on the list order: MongoDB compares `_id`s only within one type class, so a page
 * boundary inside the tie group must still reach the later classes.
 */
describe('MongoRepository keyset paging over mixed legacy _id types', () => {
  let mongo: MongoDataSource;
  before(async () => {
    const target = await mongoTarget();
    mongo = await connectMongo(target.url, `t_${randomUUID().slice(0, 8)}`);
  });
  after(async () => {
    await mongo.db.dropDatabase();
    await mongo.close();
  });

  it('returns every document exactly once whatever the page size', async () => {
    const ctx = tenantContext(randomUUID());
    const at = new Date('2026-03-01T12:00:00.000Z');
    const ids: unknown[] = [new ObjectId(), new ObjectId(), 'legacy-a', 'legacy-b', new UUID(), new UUID(), 7, 42];
    for (const [i, _id] of ids.entries()) {
      await mongo.db.collection(loginAttempt.collection).insertOne({
        _id, tenantId: ctx.tenantId, username: `u${i}`, successful: true, attemptedAt: at, createdAt: at, updatedAt: at,
      });
    }
    const repo = new MongoRepository<LoginAttempt>(loginAttempt, mongo.db);
    const all = (await repo.list(ctx, { limit: 100 })).items.map((e) => e.id);
    expect(all).to.have.length(ids.length);
    for (const size of [1, 2, 3, 5]) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const page: { items: LoginAttempt[]; next: string | null } = await repo.list(ctx, { limit: size, after });
        seen.push(...page.items.map((e) => e.id));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen, `page size ${size}`).to.deep.equal(all);
    }
  });
});
