/**
 * FD-MobileNet against its authors' real checkpoints and PyTorch's outputs for them
 * (../shared, read-only: see /work/shared/README.md), on cpu and wasm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/convert/checkpoint';
import { toWebnetsWeights } from '../../src/convert/map';
import { createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import { tf } from '../../src/runtime/tf';
import { agreement, toTensors } from '../helpers/reference';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const CHECKPOINTS = {
  'fd-mobilenet-0.25x': 'weights/fd-mobilenet/0.25x-FDMobileNet-224.pth.tar',
  'fd-mobilenet-0.5x': 'weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar',
} as const;
const IMAGES = ['chelsea', 'coffee', 'camera', 'motorcycle_left'];

function shared(path: string): Uint8Array {
  const file = SHARED + path;
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: these tests read the FD-MobileNet checkpoints and reference outputs ` +
        `from the shared data folder next to the repository (../shared, see its README.md)`,
    );
  }
  return new Uint8Array(readFileSync(file));
}

/** The reference's preprocessed NCHW float32 input as an NHWC batch of one. */
function referenceInput(image: string): tf.Tensor4D {
  const bytes = shared(`reference/${image}.input.f32`);
  const nchw = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return tf.tidy(() => tf.transpose(tf.tensor4d(nchw, [1, 3, 224, 224]), [0, 2, 3, 1]));
}

type Reference = Record<string, Record<string, { logits: number[]; top5: [number, number][] }>>;

describe.each(['cpu', 'wasm'])('FD-MobileNet authors’ checkpoints on %s', (backend) => {
  let reference: Reference;
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    const text = new TextDecoder().decode(shared('reference/fd-mobilenet.json'));
    reference = (JSON.parse(text) as { models: Reference }).models;
  });

  it.each(Object.entries(CHECKPOINTS))('%s reproduces PyTorch’s logits', async (id, path) => {
    const spec = getSpec(id);
    const weights = toWebnetsWeights(spec, readCheckpoint(shared(path), path));
    const network = createNetwork(spec, toTensors(weights));
    try {
      for (const image of IMAGES) {
        const input = referenceInput(image);
        const { logits, features } = network.forward(input);
        const expected = reference[id]![image]!;
        const values = await logits.data();
        const check = agreement(values, expected.logits);
        expect(check.maxDiff, `${id} ${image}`).toBeLessThanOrEqual(check.tolerance);
        const top1 = values.indexOf(Math.max(...values));
        expect(top1, `${id} ${image} top-1`).toBe(expected.top5[0]![0]);
        tf.dispose([input, logits, features]);
      }
    } finally {
      network.dispose();
    }
  });
});
