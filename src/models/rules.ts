/**
 * Small numeric rules the family generators share, written to reproduce the reference
 * implementations bit for bit (same float expressions, same rounding modes), and the
 * one error shape every generator throws for a parameter outside its domain.
 */

/**
 * torchvision's `_make_divisible` (from TF's MobileNet code): the nearest multiple of
 * `divisor` not below `minValue`, bumped up one step if rounding lost more than 10 %.
 */
export function makeDivisible(v: number, divisor: number, minValue: number = divisor): number {
  let rounded = Math.max(minValue, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

/** The error for a generator parameter outside its domain: names model, parameter, expectation. */
export function paramError(model: string, param: string, value: unknown, expected: string): Error {
  return new Error(
    `${model}: ${param} = ${JSON.stringify(value)} is invalid; expected ${expected}`,
  );
}

/** Throws unless every key of `options` is one the generator knows (catches typos early). */
export function checkKnownOptions(model: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${model}: unknown option '${key}'; expected one of ${known.join(', ')}`);
    }
  }
}

/** The ImageNet statistics every torchvision and FD-MobileNet checkpoint was trained with. */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** Validates a positive integer option. */
export function positiveInteger(model: string, param: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw paramError(model, param, value, 'an integer ≥ 1');
  }
  return value;
}

/** Validates a finite number option with a predicate described by `expected`. */
export function finiteNumber(
  model: string,
  param: string,
  value: unknown,
  ok: (x: number) => boolean,
  expected: string,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw paramError(model, param, value, expected);
  }
  return value;
}
