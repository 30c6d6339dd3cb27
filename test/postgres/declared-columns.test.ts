import { expect } from 'chai';
import pg from 'pg';
import { fieldsOf, qualifiedName } from '../../src/codec/fields.js';
import type { FieldType } from '../../src/interfaces/entity-spec.js';
import { MODULES } from '../../src/modules/registry.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

/**
 * Each module's migrations create exactly the columns its entity declarations name, with the
 * PostgreSQL type each field type maps to (README "Types"), and nullability as declared: a
 * declaration and its table cannot drift apart unnoticed.
 */
const PG_TYPE: Readonly<Record<FieldType, string>> = {
  uuid: 'uuid',
  text: 'text',
  int: 'integer',
  bigint: 'bigint',
  float: 'double precision',
  numeric: 'numeric',
  bool: 'boolean',
  timestamp: 'timestamp(3) with time zone',
  json: 'jsonb',
  bytes: 'bytea',
  'text[]': 'text[]',
  'uuid[]': 'uuid[]',
};

/**
 * Columns every converted table carries besides the declared fields: where the row came from, and the
 * overflow of undeclared legacy fields (`legacy_extra jsonb not null default '{}'`, src/codec/legacy-extra.ts).
 */
const BOOKKEEPING = new Set(['legacy_id', 'legacy_extra']);

describe('Migrations create exactly the declared columns', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  let admin: pg.Client;
  before(async () => {
    t = await startTestRuntime('Postgres', { modules: MODULES });
    admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await t?.close();
  });

  for (const module of MODULES) {
    for (const spec of module.entities.flatMap((e) => (e.audit ? [e, e.audit] : [e])).filter((e, i, all) => all.indexOf(e) === i)) {
      it(`${qualifiedName(spec)} -> ${spec.schema}.${spec.table}`, async () => {
        const res = await admin.query<{ column_name: string; type: string; is_nullable: string }>(
          `select a.attname as column_name,
                  format_type(a.atttypid, a.atttypmod) as type,
                  case when a.attnotnull then 'NO' else 'YES' end as is_nullable
             from pg_attribute a
            where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
            order by a.attnum`,
          [`${spec.schema}.${spec.table}`],
        );
        expect(res.rows.length, 'table exists').to.be.greaterThan(0);
        const actual = new Map(res.rows.map((r) => [r.column_name, r]));
        const declared = fieldsOf(spec);
        for (const f of declared) {
          const col = actual.get(f.column);
          expect(col, `column ${f.column} for ${f.name}`).to.not.equal(undefined);
          const expected = PG_TYPE[f.type];
          expect(col!.type, `${f.column} type`).to.equal(expected);
          if (!f.generated) expect(col!.is_nullable, `${f.column} nullable`).to.equal(f.nullable ? 'YES' : 'NO');
        }
        const overflow = actual.get('legacy_extra');
        expect(overflow, 'overflow column legacy_extra').to.not.equal(undefined);
        expect(overflow!.type, 'legacy_extra type').to.equal('jsonb');
        expect(overflow!.is_nullable, 'legacy_extra nullable').to.equal('NO');
        const extra = [...actual.keys()].filter((c) => !declared.some((f) => f.column === c) && !BOOKKEEPING.has(c));
        expect(extra, 'undeclared columns').to.deep.equal([]);
      });
    }
  }
});
