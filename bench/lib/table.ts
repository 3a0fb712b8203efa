/** Plain-text tables for the terminal, and the number formats the report uses. */

/** '12.5', '3.1e-6', '1.32×', 'n/a', or a pair of those: '12.5 / 14.0'. */
export function isNumeric(cell: string): boolean {
  return cell
    .split(' / ')
    .every((part) => /^[-+]?\d[\d.,]*(e[-+]?\d+)?[×%]?$/.test(part) || part === 'n/a');
}

/**
 * Columns padded to their widest cell; a column whose body cells all look numeric is
 * right-aligned so the digits line up.
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = headers.map((_, c) => rows.every((r) => isNumeric(r[c] ?? '')));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Milliseconds with precision that fits the magnitude: 0.832, 12.4, 1234. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value < 10) return value.toFixed(value < 1 ? 3 : 2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

export function fixed(value: number | null, digits: number, unit = ''): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(digits)}${unit}`;
}

export function mib(bytes: number | null): string {
  return bytes === null ? 'n/a' : (bytes / 2 ** 20).toFixed(1);
}

/** Relative errors span decades: 3.1e-6. */
export function sci(value: number | null): string {
  return value === null || Number.isNaN(value) ? 'n/a' : value.toExponential(1);
}
