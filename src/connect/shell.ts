/** POSIX shell quoting for the commands Taximeter writes into agent settings. Pure. */

/** One shell word: single-quoted, a `'` written as `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
