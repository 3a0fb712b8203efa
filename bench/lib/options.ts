/** Command-line values the benchmarks share, checked with the option's name in the error. */

/** A bad command line: the benchmarks exit with status 2. */
export class OptionError extends Error {}

/** A whole number ≥ `min`; throws naming the option and its value. */
export function wholeNumber(name: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new OptionError(`--${name} is '${value}': expected a whole number ≥ ${min}`);
  }
  return n;
}

/** 'a, b,,c' → ['a', 'b', 'c']; `fallback` when the option was not given. */
export function list(value: string | undefined, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Runs a benchmark's main and sets the exit status: its return value, or 1 with the error's
 * message on one line (tfjs' Node module rethrows uncaught errors with its source attached,
 * which buries the message; a bad option exits 2).
 */
export async function runMain(name: string, main: () => Promise<number>): Promise<void> {
  process.exitCode = await main().catch((err: unknown) => {
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    const parseError = String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    return err instanceof OptionError || parseError ? 2 : 1;
  });
}
