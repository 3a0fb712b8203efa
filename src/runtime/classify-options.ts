/**
 * `classify`'s options, checked, and the classes they select (MediaPipe ImageClassifier's
 * options, under its names where it has them).
 *
 * Selection, in this order: softmax over every class (probabilities are never renormalized
 * over the classes kept) → the allow or deny list → `scoreThreshold` (probability ≥ it) →
 * the `topK` most probable, ties to the lower index.
 *
 * `regionOfInterest` is MediaPipe's normalized rectangle `{ left, top, right, bottom }`, each
 * a fraction of the source's width or height: preprocessing treats it as the whole image
 * (preprocess.ts `preprocessAttrs`).
 */
import type { Classification } from './model';

/** A rectangle of the source, as fractions of its width (left, right) and height (top, bottom). */
export interface RegionOfInterest {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A class named by its label (every class of that label) or by its index. */
export type Category = string | number;

export interface ClassifyOptions {
  /** How many classes to return, best first (default 5). */
  topK?: number;
  /** Only classes of probability ≥ this, in [0, 1] (default 0). */
  scoreThreshold?: number;
  /** Only these classes (by label or index); empty: all. Not with categoryDenylist. */
  categoryAllowlist?: readonly Category[];
  /** Never these classes (by label or index). Not with categoryAllowlist. */
  categoryDenylist?: readonly Category[];
  /** Classify this part of the source only (default: all of it). */
  regionOfInterest?: RegionOfInterest;
}

/** The options checked against a label set: what `selectClasses` and preprocessing read. */
export interface ClassSelection {
  topK: number;
  scoreThreshold: number;
  /** Per class, whether it may be returned; null: every class. */
  allowed: Uint8Array | null;
  regionOfInterest: RegionOfInterest | null;
}

const OPTIONS = [
  'topK',
  'scoreThreshold',
  'categoryAllowlist',
  'categoryDenylist',
  'regionOfInterest',
] as const;
const SIDES = ['left', 'top', 'right', 'bottom'] as const;

const show = (v: unknown): string =>
  typeof v === 'number' ? String(v) : v === undefined ? 'undefined' : JSON.stringify(v);

function fail(message: string): never {
  throw new Error(`classify: ${message}`);
}

function checkRegion(region: unknown): RegionOfInterest {
  if (typeof region !== 'object' || region === null || Array.isArray(region)) {
    fail(
      `regionOfInterest is ${show(region)}: expected { left, top, right, bottom }, fractions in [0, 1] of the source's width and height`,
    );
  }
  const r = region as Record<string, unknown>;
  for (const side of SIDES) {
    const v = r[side];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      fail(
        `regionOfInterest.${side} is ${show(v)}: expected a number in [0, 1] (a fraction of the source's ${side === 'left' || side === 'right' ? 'width' : 'height'})`,
      );
    }
  }
  const { left, top, right, bottom } = r as unknown as RegionOfInterest;
  if (!(left < right) || !(top < bottom)) {
    fail(
      `regionOfInterest { left: ${left}, top: ${top}, right: ${right}, bottom: ${bottom} } is empty or inverted: expected left < right and top < bottom`,
    );
  }
  return { left, top, right, bottom };
}

/** Per class whether a list names it: labels name every class of that label. */
function listed(name: string, list: unknown, labels: readonly string[]): Uint8Array {
  if (!Array.isArray(list)) {
    fail(`${name} is ${show(list)}: expected an array of labels or class indices`);
  }
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, i) => byLabel.set(label, [...(byLabel.get(label) ?? []), i]));
  const marked = new Uint8Array(labels.length);
  const unknown: unknown[] = [];
  for (const entry of list as unknown[]) {
    const indices =
      typeof entry === 'string'
        ? byLabel.get(entry)
        : Number.isInteger(entry) && (entry as number) >= 0 && (entry as number) < labels.length
          ? [entry as number]
          : undefined;
    if (indices === undefined) unknown.push(entry);
    else for (const i of indices) marked[i] = 1;
  }
  if (unknown.length > 0) {
    fail(
      `${name} names unknown categories ${unknown.map(show).join(', ')}: expected labels of the model's label set or class indices 0–${labels.length - 1}`,
    );
  }
  return marked;
}

/**
 * Checks `classify`'s options against the model's labels. Throws an Error naming the option,
 * its value and what is expected.
 */
export function checkClassifyOptions(options: unknown, labels: readonly string[]): ClassSelection {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(`options are ${show(options)}: expected an object`);
  }
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).filter((key) => !(OPTIONS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    fail(
      `unknown option ${unknown.map((k) => `'${k}'`).join(', ')}: expected ${OPTIONS.join(', ')}`,
    );
  }
  const topK = o.topK ?? 5;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) {
    fail(`topK is ${show(topK)}: expected a whole number ≥ 1`);
  }
  const scoreThreshold = o.scoreThreshold ?? 0;
  if (typeof scoreThreshold !== 'number' || !(scoreThreshold >= 0 && scoreThreshold <= 1)) {
    fail(`scoreThreshold is ${show(scoreThreshold)}: expected a number in [0, 1]`);
  }
  // An empty list is no list, as in MediaPipe.
  const given = (list: unknown): boolean =>
    list !== undefined && !(Array.isArray(list) && list.length === 0);
  const allow = given(o.categoryAllowlist);
  const deny = given(o.categoryDenylist);
  if (allow && deny) {
    fail('categoryAllowlist and categoryDenylist are both given: expected at most one of them');
  }
  let allowed: Uint8Array | null = null;
  if (allow) allowed = listed('categoryAllowlist', o.categoryAllowlist, labels);
  if (deny) allowed = listed('categoryDenylist', o.categoryDenylist, labels).map((m) => 1 - m);
  const regionOfInterest =
    o.regionOfInterest === undefined ? null : checkRegion(o.regionOfInterest);
  return { topK, scoreThreshold, allowed, regionOfInterest };
}

/**
 * The classes a selection keeps, best first: softmax over every logit, then the allow or
 * deny list, then the threshold, then the topK (ties to the lower index).
 */
export function selectClasses(
  logits: Float32Array,
  labels: readonly string[],
  selection: Pick<ClassSelection, 'topK' | 'scoreThreshold' | 'allowed'>,
): Classification[] {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const { allowed, scoreThreshold, topK } = selection;
  const probability = (i: number): number => Math.exp((logits[i] as number) - max) / sum;
  return Array.from(logits.keys())
    .filter((i) => (allowed === null || allowed[i] === 1) && probability(i) >= scoreThreshold)
    .sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b)
    .slice(0, topK)
    .map((index) => ({
      index,
      label: labels[index] ?? `class ${index}`,
      probability: probability(index),
    }));
}

/**
 * Checked options as plain data, for a worker: the region's four numbers (not, say, a DOMRect)
 * and copies of the lists.
 */
export function plainClassifyOptions(
  options: ClassifyOptions | undefined,
  selection: ClassSelection,
): ClassifyOptions {
  const { categoryAllowlist: allow, categoryDenylist: deny } = options ?? {};
  const region = selection.regionOfInterest;
  return {
    topK: selection.topK,
    scoreThreshold: selection.scoreThreshold,
    ...(allow === undefined ? {} : { categoryAllowlist: [...allow] }),
    ...(deny === undefined ? {} : { categoryDenylist: [...deny] }),
    ...(region === null ? {} : { regionOfInterest: { ...region } }),
  };
}
