// What a gateway loads before it listens is what every restart — a rolling upgrade's, under load —
// pays for in CPU before it is ready: the workbook library (exceljs and the ~400 files under it, a
// fifth of the start-up) is loaded at the first workbook instead, and loads then.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '..', '..', 'dist');

/** The packages under node_modules loaded (as CommonJS) after `script` runs in a fresh node. */
function loadedPackages(script: string): string[] {
  const probe = `
    import { createRequire } from 'node:module';
    ${script}
    const names = Object.keys(createRequire(import.meta.url).cache).map((file) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })) as string[];
}

describe('what a gateway loads at start', () => {
  it('leaves the workbook library until a workbook is read or written', () => {
    const atStart = loadedPackages(`await import(${JSON.stringify(join(DIST, 'gateway.js'))});`);
    expect(atStart).toContain('fastify');
    expect(atStart).not.toContain('exceljs');
    const afterWorkbook = loadedPackages(`
      const { writeWorkbook } = await import(${JSON.stringify(join(DIST, 'documents', 'spreadsheet.js'))});
      const { PassThrough } = await import('node:stream');
      const sink = new PassThrough(); sink.resume();
      await writeWorkbook(sink, [{ name: 'x', columns: [{ header: 'a', width: 10 }], rows: [['1']] }]);`);
    expect(afterWorkbook).toContain('exceljs');
  });
});
