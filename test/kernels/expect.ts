import { expect } from 'vitest';
import { closeness } from './random';

/** |actual − expected| ≤ 1e-5 + 1e-4·|expected| everywhere, naming the worst element. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
): void {
  const c = closeness(actual, expected);
  expect(
    c.worst,
    `${what}: at ${c.index} got ${c.actual}, expected ${c.expected}`,
  ).toBeLessThanOrEqual(1);
}
