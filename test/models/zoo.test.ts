/**
 * Every preset runs in Node with seeded synthetic weights of the right shapes.
 *
 * Cost plan (CI has 2 cores): every preset on wasm at a reduced 64×64 input (all layers,
 * all weight shapes; the network is fully convolutional), the presets under 10 M
 * parameters also on the slower cpu backend, and full-resolution forwards on wasm for
 * the largest member of each family (EfficientNet-B7 at 600², RegNetY-32GF, FD-MobileNet
 * 1×), which exercise peak memory. About a minute in all.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { complexity } from '../../src/models/complexity';
import { createNetwork } from '../../src/models/network';
import { getSpec, presetIds } from '../../src/models/presets';
import { tf } from '../../src/tf';
import { syntheticWeights } from '../../src/weights/synthetic';

async function runPreset(id: string, side: number): Promise<void> {
  const spec = getSpec(id);
  const before = tf.memory().numTensors;
  const network = createNetwork(spec, syntheticWeights(spec, 7));
  const input = tf.randomUniform([1, side, side, 3], -2, 2, 'float32', 3) as tf.Tensor4D;
  const { logits, features } = network.forward(input);
  expect(logits.shape).toEqual([1, spec.classifier.outFeatures]);
  expect(features.shape).toEqual([1, spec.features]);
  const values = await logits.data();
  expect(values.every(Number.isFinite), `${id}: finite logits`).toBe(true);
  expect(new Set(values).size, `${id}: logits vary across classes`).toBeGreaterThan(1);
  tf.dispose([input, logits, features]);
  network.dispose();
  expect(tf.memory().numTensors, `${id}: every tensor freed`).toBe(before);
}

const SMALL = presetIds().filter((id) => complexity(getSpec(id)).params < 10e6);

describe('every preset on wasm, 64×64 input', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  it.each(presetIds())('%s', (id) => runPreset(id, 64));
});

describe('presets under 10 M parameters on cpu, 64×64 input', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });
  it.each(SMALL)('%s', (id) => runPreset(id, 64));
});

describe('the largest of each family at full resolution on wasm', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  it.each(['efficientnet-b7', 'regnety-32gf', 'fd-mobilenet-1x'])('%s', (id) =>
    runPreset(id, getSpec(id).inputSize),
  );
});
