/**
 * What the quantization tools measure: the networks (the FD-MobileNet authors'
 * checkpoints in ../shared/weights, and seeded trained-like weights) and the inputs (the
 * photos of ../shared/images and 40 views of them), through webnets' preprocessing.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { decodeImage } from '../../src/cli/predict';
import { readCheckpoint } from '../../src/convert/checkpoint';
import { toWebnetsWeights } from '../../src/convert/map';
import type { SourceTensor } from '../../src/convert/state-dict';
import type { NetworkSpec } from '../../src/models/spec';
import { preprocess } from '../../src/runtime/preprocess';
import { tf } from '../../src/tf';
import type { PreActivationStatistics } from '../../src/weights/bias-correction';
import { trainedLikeWeights } from './trained-like';

const SHARED = '../shared';
/** Sub-images of each photo for the views: [top fraction, left fraction, side / shorter side]. */
const CROPS = [
  [0, 0, 0.8],
  [1, 1, 0.8],
  [0, 1, 0.7],
  [1, 0, 0.7],
  [0.5, 0.5, 0.6],
] as const;
export const SEED = 0;

export interface Source {
  /** What --models selects: the model id, + ':trained-like' for seeded weights. */
  key: string;
  id: string;
  weights: string;
  /** The weights, and their batch norms' β and γ (for bias correction). */
  tensors: (
    spec: NetworkSpec,
    inputs: tf.Tensor4D[],
  ) => { tensors: Map<string, SourceTensor>; statistics: PreActivationStatistics };
}

const fdCheckpoint = (alpha: string): Source => ({
  key: `fd-mobilenet-${alpha}x`,
  id: `fd-mobilenet-${alpha}x`,
  weights: `${alpha}x-FDMobileNet-224.pth.tar (the authors')`,
  tensors: (spec) => {
    const path = `${SHARED}/weights/fd-mobilenet/${alpha}x-FDMobileNet-224.pth.tar`;
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: see ../shared/README.md for the FD-MobileNet checkpoints`,
      );
    }
    const statistics: PreActivationStatistics = new Map();
    const checkpoint = readCheckpoint(new Uint8Array(readFileSync(path)), path);
    return { tensors: toWebnetsWeights(spec, checkpoint, statistics), statistics };
  },
});

const trainedLike = (id: string): Source => ({
  key: `${id}:trained-like`,
  id,
  weights: `trained-like, seed ${SEED}`,
  // Batch norm and classifier calibrated on the photos and the first 12 views.
  tensors: (spec, inputs) => {
    const statistics: PreActivationStatistics = new Map();
    return { tensors: trainedLikeWeights(spec, inputs.slice(0, 16), SEED, statistics), statistics };
  },
});

export const SOURCES: Source[] = [
  fdCheckpoint('0.25'),
  fdCheckpoint('0.5'),
  trainedLike('efficientnet-b0'),
  trainedLike('regnety-400mf'),
  trainedLike('regnetx-400mf'),
  // The generator next to the real checkpoint it imitates: how much harsher it is.
  trainedLike('fd-mobilenet-0.25x'),
  trainedLike('fd-mobilenet-0.5x'),
];

function photoNames(): string[] {
  const dir = `${SHARED}/images`;
  if (!existsSync(dir)) throw new Error(`${dir} is missing: see ../shared/README.md`);
  return readdirSync(dir)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort();
}

export interface Inputs {
  photos: { name: string; x: tf.Tensor4D }[];
  views: { name: string; x: tf.Tensor4D }[];
}

export async function makeInputs(spec: NetworkSpec): Promise<Inputs> {
  const photos: Inputs['photos'] = [];
  const views: Inputs['views'] = [];
  for (const file of photoNames()) {
    const pixels = await decodeImage(`${SHARED}/images/${file}`);
    const name = file.replace(/\.\w+$/, '');
    photos.push({ name, x: preprocess(pixels, spec.preprocessing) });
    const [height, width] = pixels.shape;
    const side = Math.min(height, width);
    for (const [fy, fx, f] of CROPS) {
      const s = Math.round(side * f);
      const top = Math.round((height - s) * fy);
      const left = Math.round((width - s) * fx);
      const crop = tf.slice(pixels, [top, left, 0], [s, s, 3]) as tf.Tensor3D;
      const mirror = tf.reverse(crop, 1) as tf.Tensor3D;
      views.push({
        name: `${name} crop ${fy},${fx},${f}`,
        x: preprocess(crop, spec.preprocessing),
      });
      views.push({
        name: `${name} crop ${fy},${fx},${f} mirrored`,
        x: preprocess(mirror, spec.preprocessing),
      });
      tf.dispose([crop, mirror]);
    }
    pixels.dispose();
  }
  return { photos, views };
}
