/** Table sorting: by one column, either direction, missing values always last. */

export type SortDirection = 'asc' | 'desc';
export type SortValue = string | number | null | undefined;

function missing(v: SortValue): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** Compares two cell values: numbers numerically, strings in natural order ('b2' < 'b10'). */
export function compareValues(x: SortValue, y: SortValue): number {
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x).localeCompare(String(y), 'en', { numeric: true });
}

/** A sorted copy; stable, so sorting by one column then another keeps ties in order. */
export function sortRows<Row>(
  rows: readonly Row[],
  key: (row: Row) => SortValue,
  direction: SortDirection,
): Row[] {
  const sign = direction === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: key(row) }))
    .sort((p, q) => {
      const mp = missing(p.v);
      const mq = missing(q.v);
      if (mp || mq) return mp === mq ? p.i - q.i : mp ? 1 : -1;
      return sign * compareValues(p.v, q.v) || p.i - q.i;
    })
    .map((e) => e.row);
}

/** Clicking a header: a new column sorts ascending, the same column flips direction. */
export function nextSort(
  current: { column: string; direction: SortDirection } | null,
  column: string,
): { column: string; direction: SortDirection } {
  if (current?.column === column) {
    return { column, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  }
  return { column, direction: 'asc' };
}
