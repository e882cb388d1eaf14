/**
 * Reading what was thrown. TypeScript types a caught value as `unknown` (anything can be thrown):
 * these are the one way the code reads its message and name, instead of a cast at every catch.
 */

/** An Error's message, or the thrown value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An Error's name (TimeoutError, AbortError, …), or the thrown value's type. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
