// During a rolling upgrade the version before runs on the schema of the version after (docs/
// operations.md, "Upgrading"): every migration may only expand — add tables, nullable columns or
// columns with a default, indexes — and never drop, rename or retype what the version before reads
// and writes. Checked migration by migration on this run's dialect: the schema before each one must
// be contained in the schema after it. A contraction (dropping what an earlier release used) goes in
// a later release, once no process of the earlier one can still be running, and is listed here.
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openExistingStore } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { DIALECT, freshDatabase, testMigrator } from '../support/database.js';
import { schemaShape, type Schema } from '../support/schema-shape.js';

/**
 * Contractions made on purpose, each a release after the version that last used what it removes:
 * `migration: ['table.column' or 'table', …]`. The two below were released before this rule.
 */
const CONTRACTIONS: Readonly<Record<string, readonly string[]>> = {
  // Rendering moved from columns of invoices to the jobs table; a 004 process beside a 005 one
  // would render nothing. Released in wave 2 with "stop every process, then start the new one".
  '005-jobs': ['invoices.documents_attempts', 'invoices.documents_error', 'invoices.documents_lease_until', 'invoices.documents_next_at', 'invoices.documents_status'],
  // One audit chain became several (one per writer); the table was rebuilt. Same release note.
  '009-audit-chains': ['audit_log.seq', 'audit_log.chain'],
};

/** What `after` breaks of `before` for code written against `before`. */
function breakages(before: Schema, after: Schema): string[] {
  const found: string[] = [];
  for (const [table, shape] of Object.entries(before)) {
    const next = after[table];
    if (!next) {
      found.push(`${table}: dropped`);
      continue;
    }
    for (const [column, old] of Object.entries(shape.columns)) {
      const now = next.columns[column];
      if (!now) found.push(`${table}.${column}: dropped`);
      else if (now.type !== old.type) found.push(`${table}.${column}: type ${old.type} → ${now.type}`);
      else if (old.nullable && !now.nullable && !now.hasDefault) found.push(`${table}.${column}: made not null without a default`);
    }
    // A new column the old code does not name in its inserts must be nullable or have a default.
    for (const [column, added] of Object.entries(next.columns)) {
      if (!shape.columns[column] && !added.nullable && !added.hasDefault) found.push(`${table}.${column}: added not null without a default`);
    }
  }
  return found;
}

describe(`every migration on ${DIALECT} only expands the schema the version before uses`, () => {
  const names = Object.keys(MIGRATIONS);
  it.each(names.slice(1).map((name, n) => [name, names[n]!] as const))('%s keeps what %s used', async (name, previous) => {
    const database = await freshDatabase();
    if (database.location.kind === 'sqlite') closeSync(openSync(database.location.file, 'w'));
    const store = openExistingStore(database.location, { connectTimeoutMs: 5000 });
    try {
      const migrator = await testMigrator(store.db);
      expect((await migrator.migrateTo(previous)).error).toBeUndefined();
      const before = await schemaShape(store.db, DIALECT);
      expect((await migrator.migrateTo(name)).error).toBeUndefined();
      const after = await schemaShape(store.db, DIALECT);
      const allowed = new Set(CONTRACTIONS[name] ?? []);
      const found = breakages(before, after).filter((breakage) => !allowed.has(breakage.split(':')[0]!));
      expect(found).toEqual([]);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  it('finds a contraction when there is one (the check itself can fail)', () => {
    const before: Schema = { invoices: { columns: { id: { type: 'text', nullable: false, hasDefault: false }, note: { type: 'text', nullable: true, hasDefault: false } }, indexes: {} } };
    const after: Schema = { invoices: { columns: { id: { type: 'integer', nullable: false, hasDefault: false }, kind: { type: 'text', nullable: false, hasDefault: false } }, indexes: {} } };
    expect(breakages(before, after)).toEqual(['invoices.id: type text → integer', 'invoices.note: dropped', 'invoices.kind: added not null without a default']);
    expect(breakages(before, {})).toEqual(['invoices: dropped']);
  });
});
