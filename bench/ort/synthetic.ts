/**
 * The benchmark's weights for networks without a checkpoint at hand (EfficientNet, RegNet):
 * a state dict in torchvision's names and layout drawn as torchvision initializes its
 * models, with random batch-norm statistics so that folding them is not a no-op — what
 * tools/reference/export_onnx.py drew with PyTorch (seed aside) — then converted into a
 * webnets pack by the converter's own code (src/convert/map.ts folds the batch norms).
 *
 * torchvision's initialization: conv weights N(0, 2 / fan_out) with fan_out = out · k²
 * (kaiming_normal_ mode 'fan_out'; RegNet's normal_ with the same std), conv biases 0;
 * batch norm γ ~ U(0.5, 1.5), β ~ N(0, 0.1²), running mean ~ N(0, 0.1²), running var ~
 * U(0.5, 1.5) (export_onnx.py's randomize_batch_norm); the classifier U(±1/√out)
 * (EfficientNet) or N(0, 0.01²) (RegNet), bias 0.
 */
import { createHash } from 'node:crypto';
import { toWebnetsWeights, NAMINGS } from '../../src/convert/map';
import type { SourceTensor, StateDict } from '../../src/convert/state-dict';
import { writePack } from '../../src/convert/write-pack';
import type { NetworkSpec } from '../../src/models/spec';
import { blockConvs } from '../../src/models/spec';
import type { PackManifest, PackSource } from '../../src/weights/pack';
import { tensorRandom } from '../../src/weights/synthetic';

export const SEED = 20240;

type Draw = (random: () => number) => number;

const uniform =
  (lo: number, hi: number): Draw =>
  (random) =>
    lo + (hi - lo) * random();

/** Box–Muller: a normal draw from two uniform ones. */
const normal =
  (std: number, mean = 0): Draw =>
  (random) =>
    mean + std * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

const zeros: Draw = () => 0;

/** How torchvision initializes each family's classifier weight. */
const CLASSIFIER: Record<string, (outFeatures: number) => Draw> = {
  efficientnet: (out) => uniform(-1 / Math.sqrt(out), 1 / Math.sqrt(out)),
  regnet: () => normal(0.01),
};

function draw(name: string, shape: number[], how: Draw, seed: number): SourceTensor {
  const random = tensorRandom(name, seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = how(random);
  return { shape, data };
}

/** The state dict, in torchvision's names for `spec`'s family. */
export function torchvisionLikeStateDict(spec: NetworkSpec, seed = SEED): StateDict {
  const naming = NAMINGS.find((n) => n.naming === 'torchvision' && n.family === spec.family);
  const classifierInit = CLASSIFIER[spec.family];
  if (!naming || !classifierInit) {
    throw new Error(`${spec.id}: torchvision has no ${spec.family} model to draw weights like`);
  }
  const names = naming.map(spec);
  const state: StateDict = new Map();
  const put = (name: string, shape: number[], how: Draw): void => {
    state.set(name, draw(name, shape, how, seed));
  };
  for (const conv of spec.blocks.flatMap(blockConvs)) {
    const source = names.convs.get(conv.name)!;
    const { outChannels: out, inChannels, groups, kernel: k } = conv;
    put(source.weight, [out, inChannels / groups, k, k], normal(Math.sqrt(2 / (out * k * k))));
    if ('bias' in source) {
      put(source.bias, [out], zeros);
    } else {
      put(`${source.bn}.weight`, [out], uniform(0.5, 1.5));
      put(`${source.bn}.bias`, [out], normal(0.1));
      put(`${source.bn}.running_mean`, [out], normal(0.1));
      put(`${source.bn}.running_var`, [out], uniform(0.5, 1.5));
    }
  }
  const fc = spec.classifier;
  put(names.classifier.weight, [fc.outFeatures, fc.inFeatures], classifierInit(fc.outFeatures));
  put(names.classifier.bias, [fc.outFeatures], zeros);
  return state;
}

/** sha256 over the state dict's names, shapes and values, in order: the pack's source hash. */
function stateDictHash(state: StateDict): string {
  const hash = createHash('sha256');
  for (const [name, t] of state) {
    hash.update(`${name}[${t.shape.join(',')}]`);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return hash.digest('hex');
}

/** What the pack records as its source. */
export function syntheticSource(state: StateDict, seed = SEED): PackSource {
  return {
    file: `torchvision-like random weights, seed ${seed}`,
    sha256: stateDictHash(state),
    format: 'synthetic',
    naming: 'torchvision',
  };
}

/** Writes the pack of `spec` with these weights to `outDir`. */
export async function writeSyntheticPack(
  spec: NetworkSpec,
  state: StateDict,
  outDir: string,
): Promise<PackManifest> {
  return writePack({
    spec,
    tensors: toWebnetsWeights(spec, state),
    dtype: 'float32',
    source: syntheticSource(state),
    labels: 'imagenet-1k',
    outDir,
  });
}
