/**
 * An order number is issued at most once per seller: a unique index over (seller, order number)
 * for every invoice but a rejected one (the upstream refused it; the corrected request may reuse
 * the number, as 诺诺 allows after its status 22). Frozen.
 *
 * Databases written before this rule may already hold duplicates; the index then covers only the
 * invoices after the last of them, so the upgrade never fails, and the accept path's own check
 * (which reads every invoice) still refuses any new duplicate.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ last: number | string | null }>`
    select max(i.created_at) as last from invoices i
    where i.status <> 'rejected' and exists (
      select 1 from invoices j
      where j.seller_tax_id = i.seller_tax_id and j.order_no = i.order_no and j.status <> 'rejected' and j.id <> i.id)`.execute(db);
  const last = rows[0]?.last;
  if (last === null || last === undefined) {
    await sql`create unique index invoices_order_no_idx on invoices (seller_tax_id, order_no) where status <> 'rejected'`.execute(db);
    return;
  }
  const after = sql.raw(String(Math.trunc(Number(last))));
  await sql`create unique index invoices_order_no_idx on invoices (seller_tax_id, order_no) where status <> 'rejected' and created_at > ${after}`.execute(db);
  await sql`create index invoices_order_no_lookup_idx on invoices (seller_tax_id, order_no)`.execute(db);
}
