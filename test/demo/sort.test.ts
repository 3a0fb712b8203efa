import { describe, expect, it } from 'vitest';
import { compareValues, nextSort, sortRows } from '../../demo/lib/sort';

const rows = [
  { id: 'efficientnet-b10', ms: 30 },
  { id: 'efficientnet-b2', ms: null },
  { id: 'fd-mobilenet-0.5x', ms: 4 },
  { id: 'regnetx-200mf', ms: 30 },
];

describe('sortRows', () => {
  it('sorts numbers numerically both ways, missing values last, ties stable', () => {
    expect(sortRows(rows, (r) => r.ms, 'asc').map((r) => r.id)).toEqual([
      'fd-mobilenet-0.5x',
      'efficientnet-b10',
      'regnetx-200mf',
      'efficientnet-b2',
    ]);
    expect(sortRows(rows, (r) => r.ms, 'desc').map((r) => r.id)).toEqual([
      'efficientnet-b10',
      'regnetx-200mf',
      'fd-mobilenet-0.5x',
      'efficientnet-b2',
    ]);
  });

  it('sorts strings in natural order', () => {
    expect(sortRows(rows, (r) => r.id, 'asc').map((r) => r.id)).toEqual([
      'efficientnet-b2',
      'efficientnet-b10',
      'fd-mobilenet-0.5x',
      'regnetx-200mf',
    ]);
    expect(compareValues('regnetx-1.6gf', 'regnetx-12gf')).toBeLessThan(0);
  });

  it('does not touch its input', () => {
    const copy = [...rows];
    sortRows(rows, (r) => r.ms, 'desc');
    expect(rows).toEqual(copy);
  });
});

describe('nextSort', () => {
  it('starts ascending on a new column and flips on the same one', () => {
    expect(nextSort(null, 'median')).toEqual({ column: 'median', direction: 'asc' });
    expect(nextSort({ column: 'median', direction: 'asc' }, 'median')).toEqual({
      column: 'median',
      direction: 'desc',
    });
    expect(nextSort({ column: 'median', direction: 'desc' }, 'p95')).toEqual({
      column: 'p95',
      direction: 'asc',
    });
  });
});
