/**
 * Results as files: CSV (RFC 4180) for spreadsheets and numpy, JSON with the device
 * context for anything else.
 */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
}

/** One CSV field: quoted when it holds a comma, a quote or a line break (quotes doubled). */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && !Number.isFinite(value)) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: a header line, then one line per row, CRLF line ends as RFC 4180 says. */
export function toCsv<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Pretty JSON; non-finite numbers (a failed measurement) become null rather than vanish. */
export function toJson(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      2,
    ) + '\n'
  );
}

/** A file name safe on every OS: `webnets-latency-2024-05-01T12-30-00.csv`. */
export function exportFileName(prefix: string, date: Date, extension: string): string {
  return `${prefix}-${date.toISOString().slice(0, 19).replace(/:/g, '-')}.${extension}`;
}
