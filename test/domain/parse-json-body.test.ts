// Nesting depth is checked before JSON.parse: brackets inside strings (escaped quotes too) do not
// count, 32 levels pass, 33 are refused as json_too_deep.
import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, MAX_JSON_DEPTH, parseJsonBody } from '../../src/domain/parse-json-body.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('JSON nesting depth', () => {
  it('counts arrays and objects, not brackets in strings', () => {
    expect(jsonDepthExceeds('{"a":[{"b":"[[[[[[[[[[[[[["}]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[[[[[","b":[[[[]]]]}', 4)).toBe(true);
    expect(jsonDepthExceeds('{"a":"\\\\","b":[[[]]]}', 4)).toBe(false);
  });

  it(`takes ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(parseJsonBody(bytes(nested(MAX_JSON_DEPTH)), 1 << 20).ok).toBe(true);
    const refused = parseJsonBody(bytes(nested(MAX_JSON_DEPTH + 1)), 1 << 20);
    expect(refused.ok ? undefined : refused.error.code).toBe('json_too_deep');
    const deep = parseJsonBody(bytes(nested(100_000)), 1 << 20);
    expect(deep.ok ? undefined : deep.error.code).toBe('json_too_deep');
  });
});
