/**
 * A runnable network: a spec bound to weights on the current tfjs backend.
 * (The implementation, `createNetwork`, lives here too; see layers.ts for the blocks.)
 */
import type { KernelConfig } from '../kernels';
import { compileAhead, kernelConfig } from '../kernels';
import { tf } from '../tf';
import { buildLayer, entryConv } from './layers';
import type { Layer, WeightReader } from './layers';
import { globalAvgPool, prepareClassifier } from './ops';
import type { Flow, PreparedLinear, PreparedPooledLinear } from './ops';
import { paramSpecs } from './spec';
import type { NetworkSpec } from './spec';

export interface NetworkOutput {
  /** [N, classes] */
  logits: tf.Tensor2D;
  /** [N, features]: the globally pooled features the classifier reads. */
  features: tf.Tensor2D;
}

export interface Network {
  readonly spec: NetworkSpec;
  /**
   * The kernel configuration its ops were chosen by: its backend, and the threads its
   * kernels split a call over (absent on networks made otherwise, as in tests).
   */
  readonly kernels?: KernelConfig;
  /**
   * Runs the network on a normalized NHWC float32 batch [N, inputSize, inputSize, 3].
   * Intermediates are freed inside; the caller owns (and disposes) the two outputs.
   */
  forward(input: tf.Tensor4D): NetworkOutput;
  /**
   * The logits alone, as `forward` computes them: on WebGPU the global pool and the
   * classifier in one dispatch (the pooled features are not written). The caller owns them.
   */
  logits(input: tf.Tensor4D): tf.Tensor2D;
  /** Frees the weights (and anything derived from them at creation). */
  dispose(): void;
}

/**
 * Binds a spec to its weights (runtime layout, BN folded: see spec.ts) on the current
 * backend, each op's implementation chosen by that backend's kernel configuration
 * (`config`, default: read from the active backend). Takes ownership of `weights`:
 * `dispose()` frees them, and tensors whose layout is converted here (packed or grouped
 * filters) are freed as soon as the converted copy exists. Throws, owning nothing, if a
 * tensor is missing, extra or misshaped. The network runs on that backend only (its ops
 * were chosen for it). The networks are fully convolutional: `forward` accepts any square
 * or non-square side (the tests run small ones); `spec.inputSize` is the side the weights
 * were trained at.
 */
export function createNetwork(
  spec: NetworkSpec,
  weights: tf.NamedTensorMap,
  config: KernelConfig = kernelConfig(),
): Network {
  checkWeights(spec, weights);
  const read: WeightReader = (name) => weights[name]!;
  const layers: Layer[] = [];
  try {
    // Each block is told the next one's first conv (its output op may compute it too, where
    // the kernel config chains them) and whether the block before computed its own.
    spec.blocks.forEach((block, i) => {
      const link = {
        next: entryConv(spec.blocks[i + 1]),
        entered: layers[i - 1]?.chainsNext ?? false,
      };
      layers.push(buildLayer(block, read, config, link));
    });
  } catch (err) {
    disposeDerived(layers, weights);
    throw err;
  }
  const fcWeight = weights[`${spec.classifier.name}.weight`] as tf.Tensor2D;
  const fcBias = weights[`${spec.classifier.name}.bias`] as tf.Tensor1D;
  let classifier: PreparedLinear;
  let head: PreparedPooledLinear;
  try {
    ({ classifier, head } = prepareClassifier(fcWeight, fcBias, config));
  } catch (err) {
    disposeDerived(layers, weights);
    throw err;
  }
  const live = new Set<tf.Tensor>([
    ...layers.flatMap((l) => l.tensors),
    ...classifier.tensors,
    ...head.tensors,
  ]);
  for (const tensor of Object.values(weights)) if (!live.has(tensor)) tensor.dispose();

  let disposed = false;
  const check = (input: tf.Tensor4D): void => {
    if (disposed) throw new Error(`network ${spec.id}: forward() after dispose()`);
    if (tf.getBackend() !== config.backend) {
      throw new Error(
        `network ${spec.id}: built for the ${config.backend} backend (its ops were chosen for it), ` +
          `but the active backend is ${tf.getBackend()}: build it again there`,
      );
    }
    if (input.rank !== 4 || input.shape[3] !== 3 || input.dtype !== 'float32') {
      throw new Error(
        `network ${spec.id}: input must be a float32 NHWC batch [N, ${spec.inputSize}, ${spec.inputSize}, 3], ` +
          `got ${input.dtype} [${input.shape.join(', ')}]`,
      );
    }
  };
  /** The last feature map (call inside tf.tidy). */
  const body = (input: tf.Tensor4D): tf.Tensor4D => {
    // Each block in its own scope, its input freed once read: peak memory is one
    // block's intermediates, not the whole network's (B7 at 600² needs this in WASM).
    let flow: Flow = { x: input };
    for (const layer of layers) {
      const current = flow;
      const next = tf.tidy(() => layer.forward(current));
      if (current.x !== input) current.x.dispose();
      current.entered?.dispose();
      flow = next;
    }
    flow.entered?.dispose();
    return flow.x;
  };
  return {
    spec,
    kernels: config,
    forward(input) {
      check(input);
      return tf.tidy(() => {
        const features = globalAvgPool(body(input));
        return { logits: classifier.run(features), features };
      });
    },
    logits(input) {
      check(input);
      return tf.tidy(() => head.run(body(input)));
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose([...live]);
    },
  };
}

/**
 * Compiles every WebGPU pipeline the network's logits use, in parallel, without running it
 * (kernels/compile-ahead.ts): the first inference then compiles nothing (the features of
 * `forward`, for embed, compile on their first call).
 * `alongside` runs the other ops whose pipelines to compile with them (the input's).
 * Resolves false at once on other backends, and false if a pipeline failed (the first
 * inference then compiles what is missing and reports the failure).
 */
export function compileNetwork(
  network: Network,
  alongside: () => tf.Tensor[] = () => [],
): Promise<boolean> {
  const { backend } = network.kernels ?? { backend: tf.getBackend() };
  const size = network.spec.inputSize;
  return compileAhead(backend, () => [
    network.logits(tf.zeros([1, size, size, 3])),
    ...alongside(),
  ]);
}

/** Every tensor `paramSpecs` names, with its shape, and nothing else. */
function checkWeights(spec: NetworkSpec, weights: tf.NamedTensorMap): void {
  const problems: string[] = [];
  const expected = new Set<string>();
  for (const { name, shape } of paramSpecs(spec)) {
    expected.add(name);
    const tensor = weights[name];
    if (!tensor) problems.push(`missing ${name} [${shape.join(', ')}]`);
    else if (tensor.shape.join() !== shape.join()) {
      problems.push(`${name} is [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  for (const name of Object.keys(weights)) {
    if (!expected.has(name)) problems.push(`unexpected tensor ${name}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : '';
    throw new Error(`weights for ${spec.id} do not match its spec: ${shown}${more}`);
  }
}

/** Frees what building layers derived from the weights (the weights stay the caller's). */
function disposeDerived(layers: Layer[], weights: tf.NamedTensorMap): void {
  const sources = new Set(Object.values(weights));
  tf.dispose(layers.flatMap((l) => l.tensors).filter((t) => !sources.has(t)));
}
