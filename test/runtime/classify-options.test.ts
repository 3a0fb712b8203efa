/**
 * classify's options: how they select classes (MediaPipe's order: lists, threshold, topK),
 * every bad value refused naming the option and what is expected, a model that keeps working
 * after each, and a region of interest that makes classify look at that part of the source
 * only (its preprocessing byte for byte: test/runtime/pillow-resample.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClassifyOptions } from '../../src/runtime/classify-options';
import { checkClassifyOptions, selectClasses } from '../../src/runtime/classify-options';
import type { Model } from '../../src/runtime/model';
import { openModel } from '../../src/runtime/open';
import { tf } from '../../src/tf';
import { tinyInfo, tinyNetwork } from './tiny-network';

const labels = ['cat', 'dog', 'crane', 'car', 'crane', 'cup'];
//                 0      1      2       3      4       5
const logits = Float32Array.from([2, 1, 3, 0.5, 2.5, -1]);
const probabilities = (() => {
  const e = Array.from(logits, (v) => Math.exp(v));
  const sum = e.reduce((a, b) => a + b);
  return e.map((v) => v / sum);
})();

const select = (options: ClassifyOptions): number[] =>
  selectClasses(logits, labels, checkClassifyOptions(options, labels)).map((c) => c.index);

describe('selecting classes', () => {
  it('by default: the 5 most probable, probabilities of the softmax over every class', () => {
    const top = selectClasses(logits, labels, checkClassifyOptions(undefined, labels));
    expect(top.map((c) => c.index)).toEqual([2, 4, 0, 1, 3]);
    for (const c of top) expect(c.probability).toBeCloseTo(probabilities[c.index]!, 6);
    expect(top.map((c) => c.label)).toEqual(['crane', 'crane', 'cat', 'dog', 'car']);
  });

  it('a label names every class of that label; indices name one', () => {
    expect(select({ categoryAllowlist: ['crane'] })).toEqual([2, 4]);
    expect(select({ categoryAllowlist: ['cup', 3] })).toEqual([3, 5]);
    expect(select({ categoryDenylist: ['crane', 0], topK: 10 })).toEqual([1, 3, 5]);
  });

  it('lists first, then the threshold, then topK; probabilities are not renormalized', () => {
    // dog's probability exactly as computed: kept (≥).
    const threshold = selectClasses(logits, labels, checkClassifyOptions({ topK: 6 }, labels)).find(
      (c) => c.index === 1,
    )!.probability;
    expect(select({ scoreThreshold: threshold, topK: 10 })).toEqual([2, 4, 0, 1]);
    expect(select({ categoryDenylist: ['crane'], scoreThreshold: threshold, topK: 10 })).toEqual([
      0, 1,
    ]);
    // topK counts what the lists and threshold kept: 2 asked, 1 left.
    expect(
      select({ categoryAllowlist: ['dog', 'car'], scoreThreshold: threshold, topK: 2 }),
    ).toEqual([1]);
    const [dog] = selectClasses(
      logits,
      labels,
      checkClassifyOptions({ categoryAllowlist: ['dog'] }, labels),
    );
    expect(dog!.probability).toBeCloseTo(probabilities[1]!, 6);
    expect(select({ scoreThreshold: 1 })).toEqual([]);
    expect(select({ scoreThreshold: 0, topK: 100 })).toHaveLength(6);
  });

  it('an empty list is no list (as in MediaPipe), so an empty one goes with the other', () => {
    expect(select({ categoryAllowlist: [] })).toEqual([2, 4, 0, 1, 3]);
    expect(select({ categoryAllowlist: [], categoryDenylist: ['cat'] })).toEqual([2, 4, 1, 3, 5]);
  });
});

/** Each bad option with the message it gets. */
const badOptions: [string, unknown, string][] = [
  ['options not an object', 5, 'classify: options are 5: expected an object'],
  [
    'a misspelt option',
    { topk: 3 },
    "classify: unknown option 'topk': expected topK, scoreThreshold, categoryAllowlist, categoryDenylist, regionOfInterest",
  ],
  ['topK 0', { topK: 0 }, 'classify: topK is 0: expected a whole number ≥ 1'],
  ['topK 1.5', { topK: 1.5 }, 'classify: topK is 1.5: expected a whole number ≥ 1'],
  [
    'threshold NaN',
    { scoreThreshold: NaN },
    'classify: scoreThreshold is NaN: expected a number in [0, 1]',
  ],
  [
    'threshold > 1',
    { scoreThreshold: 1.01 },
    'classify: scoreThreshold is 1.01: expected a number in [0, 1]',
  ],
  [
    'threshold < 0',
    { scoreThreshold: -0.1 },
    'classify: scoreThreshold is -0.1: expected a number in [0, 1]',
  ],
  [
    'threshold a string',
    { scoreThreshold: '0.5' },
    'classify: scoreThreshold is "0.5": expected a number in [0, 1]',
  ],
  [
    'both lists',
    { categoryAllowlist: ['cat'], categoryDenylist: ['dog'] },
    'classify: categoryAllowlist and categoryDenylist are both given: expected at most one of them',
  ],
  [
    'unknown labels and indices',
    { categoryAllowlist: ['cat', 'zebra', 6, -1, 1.5, 'Cat'] },
    'classify: categoryAllowlist names unknown categories "zebra", 6, -1, 1.5, "Cat": expected labels of the model\'s label set or class indices 0–5',
  ],
  [
    'a list that is not an array',
    { categoryDenylist: 'cat' },
    'classify: categoryDenylist is "cat": expected an array of labels or class indices',
  ],
  [
    'a region that is not an object',
    { regionOfInterest: [0, 0, 1, 1] },
    "classify: regionOfInterest is [0,0,1,1]: expected { left, top, right, bottom }, fractions in [0, 1] of the source's width and height",
  ],
  [
    'a region outside [0, 1]',
    { regionOfInterest: { left: -0.1, top: 0, right: 0.5, bottom: 1 } },
    "classify: regionOfInterest.left is -0.1: expected a number in [0, 1] (a fraction of the source's width)",
  ],
  [
    'a region past the bottom',
    { regionOfInterest: { left: 0, top: 0.5, right: 1, bottom: 1.2 } },
    "classify: regionOfInterest.bottom is 1.2: expected a number in [0, 1] (a fraction of the source's height)",
  ],
  [
    'a region in pixels',
    { regionOfInterest: { left: 0, top: 0, right: 640, bottom: 480 } },
    "classify: regionOfInterest.right is 640: expected a number in [0, 1] (a fraction of the source's width)",
  ],
  [
    'a region without a side',
    { regionOfInterest: { left: 0, top: 0, right: 1 } },
    "classify: regionOfInterest.bottom is undefined: expected a number in [0, 1] (a fraction of the source's height)",
  ],
  [
    'a region of NaN',
    { regionOfInterest: { left: NaN, top: 0, right: 1, bottom: 1 } },
    "classify: regionOfInterest.left is NaN: expected a number in [0, 1] (a fraction of the source's width)",
  ],
  [
    'an empty region',
    { regionOfInterest: { left: 0.5, top: 0, right: 0.5, bottom: 1 } },
    'classify: regionOfInterest { left: 0.5, top: 0, right: 0.5, bottom: 1 } is empty or inverted: expected left < right and top < bottom',
  ],
  [
    'an inverted region',
    { regionOfInterest: { left: 0, top: 0.8, right: 1, bottom: 0.2 } },
    'classify: regionOfInterest { left: 0, top: 0.8, right: 1, bottom: 0.2 } is empty or inverted: expected left < right and top < bottom',
  ],
];

describe('bad options', () => {
  it.each(badOptions)('%s', (_, options, message) => {
    expect(() => checkClassifyOptions(options, labels)).toThrow(message);
  });
});

/** A seeded 0–255 RGB image as an array (rows of pixels of 3 values). */
function pixels(height: number, width: number, seed: number): Int32Array {
  let s = seed;
  return Int32Array.from({ length: height * width * 3 }, () => {
    s = (s * 69069 + 1) % 4294967296;
    return s % 256;
  });
}

describe('classify with options, on the model', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await openModel(
      'tiny',
      () => Promise.resolve({ network: tinyNetwork(), info: tinyInfo }),
      { backend: 'wasm' },
    );
    return () => model.dispose();
  });

  it('refuses each bad option at once and keeps working: the next classify gives what it gave before', async () => {
    const img = tf.tensor3d(pixels(24, 30, 1), [24, 30, 3], 'int32');
    const before = await model.classify(img, { topK: 3 });
    const tensors = tf.memory().numTensors;
    for (const [what, options, message] of badOptions) {
      if (what === 'unknown labels and indices') continue; // the tiny model's labels differ
      await expect(model.classify(img, options as ClassifyOptions), what).rejects.toThrow(message);
      expect(await model.classify(img, { topK: 3 }), what).toEqual(before);
    }
    await expect(
      model.classify(img, { categoryAllowlist: ['class-1', 'zebra', 10] }),
    ).rejects.toThrow(
      'classify: categoryAllowlist names unknown categories "zebra", 10: expected labels of the model\'s label set or class indices 0–9',
    );
    expect(tf.memory().numTensors).toBe(tensors);
    img.dispose();
  });

  it('selects as selectClasses does from the logits', async () => {
    const img = tf.tensor3d(pixels(24, 30, 2), [24, 30, 3], 'int32');
    const logits = await model.predict(img);
    const all = selectClasses(logits, tinyInfo.labels, {
      topK: 10,
      scoreThreshold: 0,
      allowed: null,
    });
    const threshold = all[3]!.probability;
    const got = await model.classify(img, {
      categoryDenylist: [all[0]!.label, all[2]!.index],
      scoreThreshold: threshold,
      topK: 10,
    });
    expect(got.map((c) => c.index)).toEqual([all[1]!.index, all[3]!.index]);
    expect(got[0]!.probability).toBeCloseTo(all[1]!.probability, 6);
    img.dispose();
  });

  it('a region of interest: only its pixels (and the filter’s few around it) count', async () => {
    // Two images that differ only right of column 20 of 30; the region is the left half
    // (15 columns, enlarged 15 → 18 by the tiny model's bilinear resize: it reads column 15).
    const height = 24;
    const width = 30;
    const a = pixels(height, width, 3);
    const b = a.slice();
    const c = pixels(height, width, 4);
    for (let y = 0; y < height; y++) {
      for (let x = 20; x < width; x++) {
        for (let k = 0; k < 3; k++) b[(y * width + x) * 3 + k] = c[(y * width + x) * 3 + k]!;
      }
    }
    const imgA = tf.tensor3d(a, [height, width, 3], 'int32');
    const imgB = tf.tensor3d(b, [height, width, 3], 'int32');
    const leftHalf = { regionOfInterest: { left: 0, top: 0, right: 0.5, bottom: 1 }, topK: 10 };
    const whole = { regionOfInterest: { left: 0, top: 0, right: 1, bottom: 1 }, topK: 10 };
    expect(await model.classify(imgA, leftHalf)).toEqual(await model.classify(imgB, leftHalf));
    expect(await model.classify(imgA, whole)).not.toEqual(await model.classify(imgB, whole));
    // The whole source as the region is no region; the left half is not the whole.
    expect(await model.classify(imgA, whole)).toEqual(await model.classify(imgA, { topK: 10 }));
    expect(await model.classify(imgA, leftHalf)).not.toEqual(await model.classify(imgA, whole));
    tf.dispose([imgA, imgB]);
  });
});
