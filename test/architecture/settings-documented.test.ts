// Every setting the gateway reads from the environment (src/runtime/env.ts, the only reader of
// process.env) is documented in docs/operations.md, by its exact name.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the settings', () => {
  it('read in env.ts are each documented in docs/operations.md', () => {
    const read = [...new Set(readFileSync(join(ROOT, 'src/runtime/env.ts'), 'utf8').match(/\bFAPIAO_[A-Z0-9_]+\b/g) ?? [])];
    expect(read.length).toBeGreaterThan(30);
    const documented = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    expect(read.filter((name) => !documented.includes(`\`${name}\``))).toEqual([]);
  });
});
