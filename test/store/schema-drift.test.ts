// The schema as the migrations make it, on this run's dialect, from an empty database: it must be
// the committed snapshot (a migration that changes it changes the snapshot in the same commit, where
// review sees it), and it must be what src/store/schema/index.ts tells the code — every table and
// column there, with the same nullability. Regenerate the snapshot: FAPIAO_UPDATE_SCHEMA_SNAPSHOT=1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { schemaShape, type Schema } from '../support/schema-shape.js';

const SNAPSHOT = join(import.meta.dirname, 'schema-snapshot', `${DIALECT}.json`);

let database: TestDatabase;
let store: Store;

beforeAll(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
});

afterAll(async () => {
  await store.close();
  await database.drop();
});

const migratedSchema = (): Promise<Schema> => schemaShape(store.db, DIALECT);

/** What src/store/schema/index.ts declares: each table of `Database`, its columns, and whether each may be null. */
function declaredSchema(): Record<string, Record<string, { nullable: boolean }>> {
  const file = join(import.meta.dirname, '../../src/store/schema/index.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });
  const members = (declaration: ts.InterfaceDeclaration) => declaration.members.filter(ts.isPropertySignature).map((member) => ({ name: member.name.getText(source), type: member.type?.getText(source) ?? '' }));
  const tables: Record<string, Record<string, { nullable: boolean }>> = {};
  for (const table of members(interfaces.get('Database')!)) {
    const declaration = interfaces.get(table.type);
    if (!declaration) throw new Error(`Database.${table.name}: no interface ${table.type} in schema/index.ts`);
    tables[table.name] = Object.fromEntries(members(declaration).map((column) => [column.name, { nullable: /\bnull\b/.test(column.type) }]));
  }
  return tables;
}

describe(`the schema on ${DIALECT}`, () => {
  it('is the committed snapshot', async () => {
    const schema = await migratedSchema();
    if (process.env.FAPIAO_UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(schema, null, 2)}\n`);
    expect(Object.keys(schema).length).toBeGreaterThan(20);
    expect(schema).toEqual(JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Schema);
  });

  it('is what schema/index.ts declares: the same tables and columns, null where it says null', async () => {
    const schema = await migratedSchema();
    const declared = declaredSchema();
    expect(Object.keys(declared).sort()).toEqual(Object.keys(schema));
    for (const [table, columns] of Object.entries(declared)) {
      const migrated = Object.fromEntries(Object.entries(schema[table]!.columns).map(([name, column]) => [name, { nullable: column.nullable }]));
      // SQLite lets a text primary key column hold null unless it says NOT NULL (a compatibility
      // quirk it documents); the gateway always writes one, so such a column counts as not null.
      if (DIALECT === 'sqlite') {
        const keys = (await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${table})`.execute(store.db)).rows;
        for (const key of keys) if (key.pk > 0 && migrated[key.name]) migrated[key.name] = { nullable: false };
      }
      expect(migrated, table).toEqual(Object.fromEntries(Object.entries(columns).sort(([a], [b]) => a.localeCompare(b))));
    }
  });
});
