/**
 * A URL that may carry a password (FAPIAO_SMTP_URL, DATABASE_URL), as it may be printed: parsed,
 * never cut by a regular expression, its password replaced by ***. Text that does not read as a
 * URL whose credentials are only in its user-info (a `/` or `:` in a password moves part of it into
 * the host, port or path) is not printed at all.
 */

export const UNSHOWN_URL = '(not shown: it does not read as a URL, and may hold a password)';

/** The URL with its password masked, or undefined when it does not read cleanly. */
function parsedCleanly(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  // A password's tail taken for a path, query or fragment would show there; refuse to guess.
  if (/[@]/.test(`${url.pathname}${url.search}${url.hash}`) || /[\s]/.test(text)) return undefined;
  return url;
}

export function maskedUrl(text: string): string {
  const url = parsedCleanly(text);
  if (!url) return UNSHOWN_URL;
  if (url.password) url.password = '***';
  return url.href;
}

/** Whether text is a URL with the given schemes and a host, its credentials (if any) where they belong. */
export function isCleanUrl(text: string, protocols: readonly string[]): boolean {
  const url = parsedCleanly(text);
  return url !== undefined && protocols.includes(url.protocol) && url.hostname !== '';
}
