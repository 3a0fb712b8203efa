/**
 * webnets vs torchvision on reduced EfficientNet and RegNet members with random weights
 * and random batch-norm statistics (tools/reference/make_fixtures.py), on cpu and wasm:
 * checkpoint reader → name map + BN folding → createNetwork → forward.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toWebnetsWeights } from '../../src/convert/map';
import { complexity } from '../../src/models/complexity';
import { createNetwork } from '../../src/models/network';
import { tf } from '../../src/tf';
import {
  FIXTURES,
  agreement,
  fixtureInput,
  fixtureSpec,
  readFixture,
  readFixtureStateDict,
  toTensors,
} from '../helpers/reference';
import { TEST_BACKENDS, useBackend } from '../helpers/backends';

describe.each(TEST_BACKENDS)('reference fixtures on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(FIXTURES)('%s: logits and features match torchvision', async (name) => {
    const fixture = readFixture(name);
    const spec = fixtureSpec(fixture);
    expect(complexity(spec).params).toBe(fixture.params);
    const weights = toWebnetsWeights(spec, readFixtureStateDict(fixture.files.zip));

    const before = tf.memory().numTensors;
    const network = createNetwork(spec, toTensors(weights));
    const input = fixtureInput(fixture.input.batch, fixture.input.size);
    const afterCreate = tf.memory().numTensors;
    const { logits, features } = network.forward(input);
    expect(logits.shape).toEqual([fixture.input.batch, spec.classifier.outFeatures]);
    expect(features.shape).toEqual([fixture.input.batch, spec.features]);

    const logitCheck = agreement(await logits.data(), fixture.logits.flat());
    expect(logitCheck.maxDiff).toBeLessThanOrEqual(logitCheck.tolerance);
    const featureCheck = agreement(await features.data(), fixture.features.flat());
    expect(featureCheck.maxDiff).toBeLessThanOrEqual(featureCheck.tolerance);

    // Nothing from the forward pass outlives it but the two outputs the caller owns.
    expect(tf.memory().numTensors).toBe(afterCreate + 2);
    tf.dispose([logits, features, input]);
    network.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
