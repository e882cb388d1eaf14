// The shape of a migrated database as its own catalogue reports it: each table's columns (type,
// nullability, default) and indexes, sorted, comparable between runs and between migrations.
import { sql, type Kysely } from 'kysely';

export interface Column {
  readonly type: string;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
}
export type Schema = Record<string, { columns: Record<string, Column>; indexes: Record<string, string> }>;

const BOOKKEEPING = /^kysely_migration/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a database at any migration
export async function schemaShape(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<Schema> {
  const schema: Schema = {};
  const current = dialect === 'postgres' ? (await sql<{ name: string }>`select current_schema() as name`.execute(db)).rows[0]!.name : undefined;
  for (const table of await db.introspection.getTables()) {
    if (BOOKKEEPING.test(table.name) || (current !== undefined && table.schema !== current)) continue;
    const columns = Object.fromEntries(
      [...table.columns].sort((a, b) => a.name.localeCompare(b.name)).map((column) => [column.name, { type: column.dataType.toLowerCase(), nullable: column.isNullable, hasDefault: column.hasDefaultValue || column.isAutoIncrementing }]),
    );
    schema[table.name] = { columns, indexes: {} };
  }
  const indexes =
    dialect === 'postgres'
      ? (await sql<{ name: string; table: string; definition: string }>`select indexname as name, tablename as "table", indexdef as definition from pg_indexes where schemaname = current_schema()`.execute(db)).rows
      : (await sql<{ name: string; table: string; definition: string | null }>`select name, tbl_name as "table", sql as definition from sqlite_master where type = 'index'`.execute(db)).rows;
  for (const index of indexes) {
    if (BOOKKEEPING.test(index.table) || !schema[index.table]) continue;
    // PostgreSQL names the test's own schema in each definition; SQLite's automatic indexes have none.
    schema[index.table]!.indexes[index.name] = (index.definition ?? '(automatic)').replace(/ ON [a-z0-9_]+\./, ' ON ').replace(/\s+/g, ' ');
  }
  return Object.fromEntries(Object.entries(schema).sort(([a], [b]) => a.localeCompare(b)).map(([name, table]) => [name, { columns: table.columns, indexes: Object.fromEntries(Object.entries(table.indexes).sort(([a], [b]) => a.localeCompare(b))) }]));
}
