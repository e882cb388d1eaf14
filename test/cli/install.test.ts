// Installing and starting on the Node the README promises: no package in the lock file asks for
// a newer Node (npm would warn EBADENGINE, and such a package may use what Node 20 lacks), and a
// start rebuilds only what changed.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean; os?: string[] }> };

describe('install and start', () => {
  it('promises in the README the Node of package.json, which every locked package accepts', () => {
    const promised = semver.minVersion(pkg.engines.node)!.version;
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${promised.replace(/\.0$/, '')} or newer`);
    const refusing = Object.entries(lock.packages)
      .filter(([, entry]) => !Array.isArray(entry.engines) && entry.engines?.node !== undefined)
      // Prebuilt binaries for other systems are never installed here.
      .filter(([, entry]) => !(entry.optional && entry.os))
      .filter(([, entry]) => !semver.satisfies(promised, (entry.engines as { node: string }).node))
      .map(([name, entry]) => `${name} wants node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('rebuilds nothing when no source changed (npm start builds first)', () => {
    const built = join(ROOT, 'dist/cli.js');
    expect(spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' }).status).toBe(0);
    const before = statSync(built).mtimeMs;
    const again = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(statSync(built).mtimeMs).toBe(before);
  });
});
