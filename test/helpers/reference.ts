/**
 * Shared by the reference tests: the fixtures written by tools/reference/make_fixtures.py
 * and the comparison rule.
 */
import { readFileSync } from 'node:fs';
import { readCheckpoint } from '../../src/convert/checkpoint';
import type { SourceTensor, StateDict } from '../../src/convert/state-dict';
import { efficientnet } from '../../src/models/efficientnet';
import type { EfficientNetOptions } from '../../src/models/efficientnet';
import { regnet } from '../../src/models/regnet';
import type { RegNetOptions } from '../../src/models/regnet';
import type { NetworkSpec } from '../../src/models/spec';
import { tf } from '../../src/tf';

export interface Fixture {
  generator: 'efficientnet' | 'regnet';
  options: Record<string, number | boolean>;
  input: { batch: number; size: number };
  params: number;
  files: { zip: string; legacy?: string };
  logits: number[][];
  features: number[][];
  /** torchvision key → timm key, for the fixtures that test the timm name maps. */
  timmNames?: Record<string, string>;
}

export const FIXTURES = [
  'efficientnet-w0.25-d0.5',
  'efficientnet-w0.25-d0.25-r240',
  'regnetx-d5-w16-a10-m2.3-g12',
  'regnety-d5-w16-a10-m2.3-g12',
  'regnetx-d5-w16-a10-m2.3-g24',
];

const fixtureUrl = (file: string) => new URL(`../fixtures/${file}`, import.meta.url);

export function readFixture(name: string): Fixture {
  return JSON.parse(readFileSync(fixtureUrl(`${name}.json`), 'utf8')) as Fixture;
}

export function readFixtureStateDict(file: string): StateDict {
  return readCheckpoint(new Uint8Array(readFileSync(fixtureUrl(file))), file);
}

export function fixtureSpec(fixture: Fixture): NetworkSpec {
  return fixture.generator === 'efficientnet'
    ? efficientnet(fixture.options as EfficientNetOptions)
    : regnet(fixture.options as unknown as RegNetOptions);
}

/**
 * The fixtures' deterministic input, NHWC: the formula make_fixtures.py evaluates in
 * float64 (x[n,c,h,w] = 1.5·sin(0.37·h·(c+1) + 0.23·w + 1.3·n) + 0.5·cos(0.013·h·w + c)).
 */
export function fixtureInput(batch: number, size: number): tf.Tensor4D {
  const data = new Float32Array(batch * size * size * 3);
  let i = 0;
  for (let n = 0; n < batch; n++)
    for (let h = 0; h < size; h++)
      for (let w = 0; w < size; w++)
        for (let c = 0; c < 3; c++)
          data[i++] =
            1.5 * Math.sin(0.37 * h * (c + 1) + 0.23 * w + 1.3 * n) +
            0.5 * Math.cos(0.013 * h * w + c);
  return tf.tensor4d(data, [batch, size, size, 3]);
}

/** Runtime-layout weights as tensors for createNetwork. */
export function toTensors(weights: Map<string, SourceTensor>): tf.NamedTensorMap {
  const map: tf.NamedTensorMap = {};
  for (const [name, t] of weights) map[name] = tf.tensor(t.data, t.shape, 'float32');
  return map;
}

/** The project's agreement rule: max|Δ| ≤ 1e-3 · max(1, max|reference|). */
export function agreement(
  actual: ArrayLike<number>,
  expected: number[],
): { maxDiff: number; tolerance: number } {
  let maxDiff = 0;
  let maxRef = 0;
  expected.forEach((e, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - e));
    maxRef = Math.max(maxRef, Math.abs(e));
  });
  return { maxDiff, tolerance: 1e-3 * Math.max(1, maxRef) };
}
