// docs/kinds/*.md: each page's request example is a valid request, and the figures the page works
// out by hand are the ones the gateway computes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';

const folder = join(import.meta.dirname, '../../docs/kinds');
const pages = readdirSync(folder).filter((name) => name.endsWith('.md'));

describe('the pages of docs/kinds', () => {
  it('has one per kind', () => {
    expect(pages.sort()).toEqual(['construction.md', 'differential.md', 'freight.md', 'passenger.md', 'policies.md', 'property-lease.md']);
  });

  it.for(pages)('%s: its example computes to the figures it states', (page) => {
    const text = readFileSync(join(folder, page), 'utf8');
    const example = /```json\n([\s\S]*?)\n```/.exec(text);
    expect(example).not.toBeNull();
    const result = previewInvoice(JSON.parse(example![1]!));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const { totals } = computedInvoiceJson(result.invoice);
    expect(text).toContain(totals.tax);
    expect(text).toContain(totals.amount);
  });
});
