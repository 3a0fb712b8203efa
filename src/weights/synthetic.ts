/**
 * Deterministic seeded weights for any spec, for latency work where no pretrained pack
 * is at hand. Each tensor's values depend only on (seed, tensor name), not on load order.
 * Scaled like He initialization (variance 2 / fan-in) so activations stay finite through
 * deep networks. Results computed with them are meaningless as classifications, and
 * the model object marks them as synthetic.
 */
import type { NetworkSpec, ParamSpec } from '../models/spec';
import { paramSpecs } from '../models/spec';
import { tf } from '../tf';

/** FNV-1a over the name and seed: a per-tensor PRNG seed. */
function hashSeed(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for weights. Returns floats in [0, 1). */
function mulberry32(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fan-in of a runtime-layout weight: [k,k,I,O] dense/grouped, [k,k,C,1] depthwise, [in,out]. */
function fanIn(shape: number[]): number {
  if (shape.length === 2) return shape[0]!;
  const [kh, kw, i, o] = shape as [number, number, number, number];
  return o === 1 && i > 1 ? kh * kw : kh * kw * i;
}

/** Floats in [0, 1) that depend only on (seed, tensor name): one generator per tensor. */
export function tensorRandom(name: string, seed: number): () => number {
  return mulberry32(hashSeed(name, seed));
}

export function syntheticValues(param: ParamSpec, seed: number): Float32Array {
  const size = param.shape.reduce((a, b) => a * b, 1);
  const random = tensorRandom(param.name, seed);
  const bound = param.name.endsWith('.bias') ? 0.05 : Math.sqrt(6 / fanIn(param.shape));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (random() * 2 - 1) * bound;
  return out;
}

export function syntheticWeights(spec: NetworkSpec, seed = 0): tf.NamedTensorMap {
  const weights: tf.NamedTensorMap = {};
  for (const param of paramSpecs(spec)) {
    weights[param.name] = tf.tensor(syntheticValues(param, seed), param.shape, 'float32');
  }
  return weights;
}
