import { expect } from 'chai';
import pg from 'pg';
import { DualWriteRepository } from '../../src/dualwrite/dual-write-repository.js';
import type { Entity } from '../../src/interfaces/entity-spec.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import type { Backend } from '../../src/interfaces/modules.js';
import { MongoRepository } from '../../src/mongo/mongo-repository.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { policyModule } from '../../src/modules/policy/index.js';
import { PostgresRepository } from '../../src/postgres/postgres-repository.js';
import { authoritySamples } from '../contract/authority-samples.js';
import type { ModuleSamples } from '../contract/repository-contract.js';
import { issuerDirectorySamples } from '../issuer-directory/issuer-directory-samples.js';
import { packsRegistrySamples } from '../packs-registry/packs-registry-samples.js';
import { startTestRuntime } from '../setup/runtime.js';
import { policySamples } from './policy-samples.js';

const SAMPLES: Record<string, ModuleSamples> = {
  Authority: authoritySamples,
  Policy: policySamples,
  PacksRegistry: packsRegistrySamples,
  IssuerDirectory: issuerDirectorySamples,
};
// Authority rides along as a module that is not ours and must not move either.
const MODULES: ModuleDefinition[] = [authorityModule, policyModule, packsRegistryModule, issuerDirectoryModule];
const CLASS_OF: Record<Backend, Function> = { Mongo: MongoRepository, Postgres: PostgresRepository, DualWrite: DualWriteRepository };
const envKey = (m: string) => `PERSISTENCE_${m.toUpperCase()}`;

/**
 * SPEC 3 / issue 5 "done when": flipping one module's Persistence key moves that module alone.
 * Each case starts every module on `base`, flips one of Policy / PacksRegistry / IssuerDirectory to
 * `to`, then checks each repository's class and where a write of each module really lands.
 */
const CASES: { base: Backend; to: Backend }[] = [
  { base: 'Mongo', to: 'Postgres' },
  { base: 'Mongo', to: 'DualWrite' },
  { base: 'Postgres', to: 'Mongo' },
];

describe("Switching one module's Persistence key moves only that module", function () {
  this.timeout(180_000);
  for (const { base, to } of CASES) {
    for (const flipped of [policyModule, packsRegistryModule, issuerDirectoryModule]) {
      it(`${flipped.name}: ${base} -> ${to}, every other module stays on ${base}`, async () => {
        const t = await startTestRuntime(base, { modules: MODULES, env: { [envKey(flipped.name)]: to } });
        const admin = new pg.Client({ connectionString: t.db.adminUrl });
        await admin.connect();
        try {
          const ctx = t.tenant();
          for (const module of MODULES) {
            const expected = module === flipped ? to : base;
            expect(t.runtime.config.Persistence[module.name], module.name).to.equal(expected);
            for (const spec of module.entities) {
              expect(t.runtime.repository(module.name, spec.name), `${module.name}.${spec.name}`).to.be.instanceOf(CLASS_OF[expected]);
            }
            // One write per module, through its first entity's repository.
            const spec = module.entities[0]!;
            const stored = await t.runtime.repository<Entity>(module.name, spec.name).insert(ctx, SAMPLES[module.name]![spec.name]!.make(1) as never);
            await t.runtime.flushDualWrite();
            const table = `${pg.escapeIdentifier(spec.schema)}.${pg.escapeIdentifier(spec.table)}`;
            const exists = (await admin.query('select to_regclass($1) is not null as e', [table])).rows[0].e as boolean;
            const inPg = exists ? ((await admin.query(`select count(*)::int as n from ${table} where id = $1`, [stored.id])).rows[0].n as number) : 0;
            const inMongo = t.runtime.mongo ? await t.runtime.mongo.db.collection(spec.collection).countDocuments({ tenantId: ctx.tenantId }) : 0;
            const where = `${module.name} on ${expected}`;
            expect(exists, `${where}: ${table} exists`).to.equal(expected !== 'Mongo');
            expect(inPg, `${where}: rows in PostgreSQL`).to.equal(expected === 'Mongo' ? 0 : 1);
            expect(inMongo, `${where}: documents in MongoDB`).to.equal(expected === 'Postgres' ? 0 : 1);
          }
          // Only the modules on PostgreSQL got their migrations: the schema is shared, the tables are not.
          const policyTables = (await admin.query(`select table_name from information_schema.tables where table_schema = 'policy' order by table_name`)).rows.map((r) => r.table_name as string);
          const onPg = (m: ModuleDefinition) => (m === flipped ? to : base) !== 'Mongo';
          expect(policyTables.some((n) => n === 'pack'), 'Policy tables').to.equal(onPg(policyModule));
          expect(policyTables.some((n) => n === 'registry_entry'), 'PacksRegistry tables').to.equal(onPg(packsRegistryModule));
        } finally {
          await admin.end();
          await t.close();
        }
      });
    }
  }
});
