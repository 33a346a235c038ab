/** Wrong usage of the command line: reported with usage text, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Refuses positional arguments beyond what a command takes. */
export function noExtraArgs(rest: readonly string[], expected: number): void {
  if (rest.length > expected) {
    throw new UsageError(`unexpected argument "${rest[expected]}"`);
  }
}
