// The documentation that integrators rely on must not drift from the code it describes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVOICE_EVENTS, TRANSITIONS } from '../../src/domain/invoice-state.js';
import { API_PROBLEM_CODES } from '../../src/api/problem.js';
import type { ChannelErrorCode } from '../../src/channels/channel-error.js';
import { FIELD_ERROR_CODES } from '../../src/domain/field-error.js';
import { CHANNEL_ERROR_WORDS } from '../../src/domain/event-words.js';
import { KNOWLEDGE } from '../../src/doctor/knowledge-base.js';

const docs = (name: string) => readFileSync(join(import.meta.dirname, '../../docs', name), 'utf8');

describe('documentation in step with the code', () => {
  const section = (heading: string) => {
    const text = docs('errors.md');
    const start = text.indexOf(heading);
    const end = text.indexOf('\n## ', start + heading.length);
    return [...text.slice(start, end === -1 ? undefined : end).matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);
  };

  it('docs/errors.md documents exactly the codes of the API, the request and the channels', () => {
    expect(section('## Problem codes (`code`').sort()).toEqual([...API_PROBLEM_CODES].sort());
    expect(section('## Field error codes in `errors`').sort()).toEqual([...FIELD_ERROR_CODES].sort());
    const channelCodes: Record<ChannelErrorCode, true> = {
      dns_failed: true, connect_failed: true, connect_timeout: true, tls_failed: true, timeout_after_send: true,
      connection_reset: true, rate_limited: true, upstream_unavailable: true, upstream_error: true,
      content_rejected: true, auth_failed: true,
      drawer_login_required: true, circuit_open: true, rate_held: true, protocol_error: true, quota_exhausted: true,
    };
    const dispatcherCodes = ['upstream_rejected', 'no_usable_channel', 'not_found_unconfirmed', 'channel_unknown'];
    expect(section('## Channel error codes').sort()).toEqual([...Object.keys(channelCodes), ...dispatcherCodes].sort());
    // Each has a sentence in both languages for the console and the API's lastError.text.
    for (const code of section('## Channel error codes')) expect(CHANNEL_ERROR_WORDS[code!], code).toMatchObject({ zh: expect.stringMatching(/[\u4e00-\u9fff]/) as unknown, en: expect.any(String) as unknown });
  });

  it('docs/doctor.md lists exactly the finding codes of the knowledge base', () => {
    const listed = [...docs('doctor.md').matchAll(/^\| `([a-z]+\.[a-z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect([...listed].sort()).toEqual(Object.keys(KNOWLEDGE).sort());
  });

  it('docs/states.md draws exactly the transition table', () => {
    const drawn = [...docs('states.md').matchAll(/^\s+(\S+) -->\|(\w+)\| (\S+)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    const id = (key: string) => key.replace('pending/', '');
    const table = Object.entries(TRANSITIONS).flatMap(([from, row]) =>
      Object.entries(row).map(([event, to]) => `${id(from)} ${event} ${id(to)}`),
    );
    expect([...drawn].sort()).toEqual([...table].sort());
    for (const event of INVOICE_EVENTS) expect(docs('states.md')).toContain(`\`${event}\``);
  });
});
