// The documentation that integrators rely on must not drift from the code it describes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVOICE_EVENTS, TRANSITIONS } from '../../src/domain/invoice-state.js';
import { PROBLEM_CODES } from '../../src/domain/problem.js';

const docs = (name: string) => readFileSync(join(import.meta.dirname, '../../docs', name), 'utf8');

describe('documentation in step with the code', () => {
  it('docs/errors.md documents exactly the problem codes the code can produce', () => {
    const documented = [...docs('errors.md').matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual([...PROBLEM_CODES].sort());
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
