/** Quoting for the few places that must hand a command line to a shell (a guest over SSH, a bash pipeline). */

/** One shell word that stands for exactly `text`, whatever it holds. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
