import 'reflect-metadata';
import { mongoTarget, pgAdminUrl, stopContainers } from './environment.js';
import { maskUrl } from '../../src/postgres/data-source.js';

/** Mocha root hooks: resolve the databases once and say which ones the run uses. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    const pgUrl = await pgAdminUrl();
    const mongo = await mongoTarget();
    process.stdout.write(`\n  PostgreSQL: ${maskUrl(pgUrl)}\n  MongoDB:    ${mongo.kind}\n\n`);
  },
  async afterAll() {
    await stopContainers();
  },
};
