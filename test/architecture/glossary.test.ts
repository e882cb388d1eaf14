// One vocabulary: every status, stage and event the code writes or publishes is in docs/glossary.md,
// as `code`, with its Chinese words — so the console, the docs and the audit log say the same thing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVOICE_EVENTS, INVOICE_STATUSES, PENDING_STAGES } from '../../src/domain/invoice-state.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/domain/webhook-events.js';

const ROOT = resolve(import.meta.dirname, '../..');
const glossary = readFileSync(join(ROOT, 'docs/glossary.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The audit events written by name anywhere in src (`event: 'user_added'`), beside the state machine's. */
const writtenEvents = [...new Set(sources(join(ROOT, 'src')).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bevent: '([a-z_]+)'/g)].map((match) => match[1]!)))];

describe('the glossary', () => {
  it('names every status, stage and event of the code', () => {
    expect(writtenEvents.length).toBeGreaterThan(15);
    const words = [...INVOICE_STATUSES, ...PENDING_STAGES, ...INVOICE_EVENTS, ...writtenEvents, ...WEBHOOK_EVENT_TYPES];
    expect(words.filter((word) => !glossary.includes(`\`${word}\``))).toEqual([]);
  });

  it('gives each a Chinese word in the same row', () => {
    const rows = glossary.split('\n').filter((line) => line.startsWith('|'));
    for (const word of [...PENDING_STAGES, ...INVOICE_EVENTS]) {
      const row = rows.find((line) => line.includes(`\`${word}\``)) ?? '';
      expect(/[\u4e00-\u9fff]/.test(row), word).toBe(true);
    }
  });
});
