// Outside tools some tests drive (xmllint, poppler, qpdf, promtool, Chromium). Where one is missing
// its test is skipped, visibly; with FAPIAO_REQUIRE_TOOLS=1 (.ci/run sets it) a missing tool fails
// the run instead, so CI never passes with less than it claims.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const required = process.env.FAPIAO_REQUIRE_TOOLS === '1';

function present(found: boolean, what: string): boolean {
  if (!found && required) throw new Error(`${what} is missing, and FAPIAO_REQUIRE_TOOLS=1 asks for every tool the tests use (.ci/run installs them)`);
  return found;
}

/** Whether a command runs here (`--version` or the given arguments). */
export function hasTool(command: string, args: readonly string[] = ['--version']): boolean {
  return present(spawnSync(command, [...args]).error === undefined, command);
}

/** Whether a file (a browser's executable) is here. */
export function hasFile(path: string): boolean {
  return present(existsSync(path), path);
}
