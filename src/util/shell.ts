/** Building shell command lines from values. */

/** Quotes `text` as one word for a POSIX shell: single quotes, each embedded quote written as '\''. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
