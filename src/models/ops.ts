/**
 * The primitive ops the blocks (layers.ts) are made of: the seam between the network and
 * the tfjs backends. Each `prepare*` picks its op's implementation once, by the rules of
 * the kernel configuration (src/kernels/config.ts) for the backend the network is built
 * on — webnets' kernel, or the stock tfjs composition (stock.ts) — lays the weights out as
 * that implementation reads them, and returns `{ run, tensors }`: `run` only computes (no
 * choice, no layout work per call), `tensors` are what it holds, for disposal.
 */
import * as K from '../kernels';
import type { KernelActivation, KernelConfig } from '../kernels';
import { tf } from '../tf';
import type { Activation, ConvSpec } from './spec';
import { convKind } from './spec';
import * as stock from './stock';

/** An op ready to run: `run` computes, `tensors` are the weights it reads (in its layout). */
export interface Prepared<F> {
  run: F;
  tensors: tf.Tensor[];
}

export type PreparedConv = Prepared<(x: tf.Tensor4D) => tf.Tensor4D>;

/** act(conv(x) + residual): a block's last conv and its shortcut. */
export type PreparedResidualConv = Prepared<(x: tf.Tensor4D, residual: tf.Tensor4D) => tf.Tensor4D>;

export type PreparedSqueezeExcite = Prepared<(x: tf.Tensor4D) => tf.Tensor4D>;

/**
 * What passes from one block to the next: the block's output map `x`, and `entered`, the
 * next block's first conv already computed on it, where the block's output op chained
 * that conv into its own dispatch (kernels/config.ts selectChainedConv).
 */
export type Flow = { x: tf.Tensor4D; entered?: tf.Tensor4D };

/**
 * A block's output ops (its last convs, what came before them fused in where the config
 * allows): act(… conv(x) + residual) when the block adds a residual, else … conv(x).
 * `chains`: the next block's first conv is chained in, its map in the Flow's `entered`.
 */
export type PreparedOutput = Prepared<(x: tf.Tensor4D, residual?: tf.Tensor4D) => Flow> & {
  chains: boolean;
};

/** A block's first conv on the block's Flow. */
export type PreparedEntry = Prepared<(input: Flow) => tf.Tensor4D>;

/** A conv's spec with its runtime-layout weights. */
export interface ConvWeights {
  spec: ConvSpec;
  weight: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * How a block ends: with `residualAct` the output conv adds the block's residual, then
 * applies it (the conv's own activation must be linear); null: no residual.
 */
export type ResidualAct = 'linear' | 'relu' | null;

export type PreparedLinear = Prepared<(x: tf.Tensor2D) => tf.Tensor2D>;

/** The activation as webnets' kernels take it (the config sends sigmoid to tfjs). */
function kernelAct(act: Activation): KernelActivation {
  if (act === 'sigmoid') throw new Error('webnets kernels take no sigmoid (kernels/config.ts)');
  return act;
}

/**
 * `weights` as the config's WebGPU kernels read them: float16 pairs (kernels/half.ts) where
 * the network runs in float16 and each weight's last axis is even, else as they are (an op's
 * weights share one precision). The originals stay the caller's.
 */
function stored<T extends tf.Tensor[]>(config: KernelConfig, ...weights: T): T {
  if (config.precision !== 'float16' || !weights.every((w) => K.canPackHalves(w.shape))) {
    return weights;
  }
  return weights.map((w) => K.packHalves(w)) as T;
}

/** SiLU as the config runs it on this backend. */
function siluOf(config: KernelConfig): stock.Silu {
  return K.selectSilu(config) === 'kernel' ? K.silu : stock.silu;
}

/** act(a + b) as the config runs it on this backend, for one activation. */
function addActivationOf(
  act: Activation,
  config: KernelConfig,
): (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D {
  if (K.selectAddActivation(act, config) === 'kernel') {
    const activation = kernelAct(act);
    return (a, b) => K.addActivation(a, b, activation);
  }
  const silu = siluOf(config);
  return (a, b) => stock.activate(tf.add<tf.Tensor4D>(a, b), act, silu);
}

/**
 * Prepares a conv's runtime-layout weight (see spec.ts) for the implementation the config
 * picks: webnets' kernels read it in place (a wide 1×1 conv's packed once); the stock
 * grouped compositions take their own layouts.
 */
export function prepareConv(
  spec: ConvSpec,
  weight: tf.Tensor4D,
  bias: tf.Tensor1D,
  config: KernelConfig,
): PreparedConv {
  const { stride: strides, groups, act } = spec;
  const { threads } = config;
  const kind = convKind(spec);
  const impl = K.selectConv({ kind, ...spec }, config);
  switch (impl) {
    case 'kernel-packed': {
      const filter = K.packDenseFilter(weight);
      const attrs = { strides, groups: 1, activation: kernelAct(act), packed: true, threads };
      return { run: (x) => K.groupConv2d(x, filter, bias, attrs), tensors: [filter, bias] };
    }
    case 'kernel': {
      const activation = kernelAct(act);
      if (kind === 'depthwise' && config.precision === 'float16') {
        // The grouped conv with groups = C reads a depthwise [k, k, C, 1] filter as [k, k, 1, C],
        // whose last axis pairs as float16.
        const [k = 1, , channels = 0] = weight.shape;
        const grouped = tf.reshape<tf.Rank.R4>(weight, [k, k, 1, channels]);
        const [filter] = stored(config, grouped);
        if (filter !== grouped) grouped.dispose();
        const attrs = { strides, groups: channels, activation, threads };
        return { run: (x) => K.groupConv2d(x, filter, bias, attrs), tensors: [filter, bias] };
      }
      if (kind === 'depthwise') {
        const attrs = { strides, activation, threads };
        return { run: (x) => K.depthwiseConv2d(x, weight, bias, attrs), tensors: [weight, bias] };
      }
      const [filter] = stored(config, weight);
      const attrs = { strides, groups, activation, threads };
      return { run: (x) => K.groupConv2d(x, filter, bias, attrs), tensors: [filter, bias] };
    }
    case 'stock': {
      const silu = siluOf(config);
      const run =
        kind === 'depthwise'
          ? (x: tf.Tensor4D) => stock.depthwiseConv(x, weight, bias, strides, act)
          : (x: tf.Tensor4D) => stock.denseConv(x, weight, bias, strides, act, silu);
      return { run, tensors: [weight, bias] };
    }
    case 'stock-grouped-depthwise': {
      const filter = stock.prepareGroupedFilter(weight, groups);
      const run = (x: tf.Tensor4D) => stock.groupedConv(x, filter, bias, strides, groups, act);
      return { run, tensors: [filter, bias] };
    }
    case 'stock-grouped-split': {
      const { filters, biases } = stock.splitGroupedFilter(weight, bias, groups);
      const run = (x: tf.Tensor4D) => stock.splitGroupedConv(x, filters, biases, strides, act);
      return { run, tensors: [...filters, ...biases] };
    }
  }
}

/**
 * Prepares act(conv(x) + residual) for a block's last conv (its own activation linear).
 * On webnets' dense conv kernel the residual and `act` are the kernel's epilogue (one pass
 * fewer); otherwise the conv runs, then the add and `act`.
 */
export function prepareResidualConv(
  spec: ConvSpec,
  weight: tf.Tensor4D,
  bias: tf.Tensor1D,
  act: 'linear' | 'relu',
  config: KernelConfig,
): PreparedResidualConv {
  const conv = prepareConv(spec, weight, bias, config);
  const impl = K.selectConv({ kind: convKind(spec), ...spec }, config);
  const onKernel = impl === 'kernel' || impl === 'kernel-packed';
  const fused = convKind(spec) === 'dense' && spec.act === 'linear' && onKernel;
  if (fused) {
    const [filter] = conv.tensors as [tf.Tensor4D, tf.Tensor1D];
    const attrs = {
      strides: spec.stride,
      groups: 1,
      activation: act,
      packed: impl === 'kernel-packed',
      threads: config.threads,
    };
    return {
      run: (x, residual) => K.groupConv2d(x, filter, bias, attrs, residual),
      tensors: conv.tensors,
    };
  }
  const add = addActivationOf(act, config);
  return { run: (x, residual) => add(conv.run(x), residual), tensors: conv.tensors };
}

/**
 * The output conv alone: conv(x), or act(conv(x) + residual); with `next` (the next
 * block's first conv) chained into its dispatch where the config picks it.
 */
export function prepareOutputConv(
  conv: ConvWeights,
  residualAct: ResidualAct,
  config: KernelConfig,
  next?: ConvWeights,
): PreparedOutput {
  if (residualAct === null) {
    const plain = prepareConv(conv.spec, conv.weight, conv.bias, config);
    return { run: (x) => ({ x: plain.run(x) }), tensors: plain.tensors, chains: false };
  }
  const chained = prepareChainedTail(conv.spec, conv.weight, conv.bias, residualAct, next, config);
  if (chained) {
    return {
      run: (x, residual) => chained.run(x, { residual: residualOf(conv.spec, residual) }),
      tensors: chained.tensors,
      chains: true,
    };
  }
  const op = prepareResidualConv(conv.spec, conv.weight, conv.bias, residualAct, config);
  return {
    run: (x, residual) => ({ x: op.run(x, residualOf(conv.spec, residual)) }),
    tensors: op.tensors,
    chains: false,
  };
}

/**
 * A block's output 1×1 conv with the next block's first 1×1 conv chained into its dispatch
 * (kernels/config.ts selectChainedConv): `run(x, extras)` gives the block's output and the
 * next block's first map; null where the config keeps them apart (or there is no next).
 * `bias` is the output conv's; with a projection (`shortcut`), its bias is summed in.
 */
function prepareChainedTail(
  spec: ConvSpec,
  weight: tf.Tensor4D,
  bias: tf.Tensor1D,
  act: 'linear' | 'relu',
  next: ConvWeights | undefined,
  config: KernelConfig,
  shortcut?: ConvWeights,
): Prepared<(x: tf.Tensor4D, extras: K.ChainedExtras) => Flow> | null {
  if (!next || K.selectChainedConv(convClass(spec), convClass(next.spec), config) !== 'kernel') {
    return null;
  }
  const packed = K.chainParams(
    { filter: weight, bias, shortcutFilter: shortcut?.weight, shortcutBias: shortcut?.bias },
    { filter: next.weight, bias: next.bias },
  );
  // With float16 weights the packed biases are float16 too (one buffer, one precision).
  const [params] = stored(config, packed);
  if (params !== packed) packed.dispose();
  const attrs = {
    outChannels: spec.outChannels,
    nextChannels: next.spec.outChannels,
    activation: act,
    nextActivation: kernelAct(next.spec.act),
    ...(shortcut ? { shortcutStrides: shortcut.spec.stride } : {}),
  };
  return {
    run: (x, extras) => {
      const [y, entered] = K.chainedConv2d(x, params, attrs, extras);
      return { x: y, entered };
    },
    tensors: [params],
  };
}

/**
 * A block's first conv: computed from the block's input, or, where the block before chained
 * it into its output op (`entered`), taken from the Flow.
 */
export function prepareEntryConv(
  conv: ConvWeights,
  entered: boolean,
  config: KernelConfig,
): PreparedEntry {
  if (entered) {
    return {
      run: (input) => {
        if (!input.entered) throw new Error(`${conv.spec.name}: the chained map is missing`);
        return input.entered;
      },
      tensors: [],
    };
  }
  const op = prepareConv(conv.spec, conv.weight, conv.bias, config);
  return { run: (input) => op.run(input.x), tensors: op.tensors };
}

function residualOf(spec: ConvSpec, residual: tf.Tensor4D | undefined): tf.Tensor4D {
  if (residual === undefined) throw new Error(`${spec.name}: the block's residual is missing`);
  return residual;
}

/** `first`, then `output`: a block's output ops with one conv more before them. */
export function thenOutput(first: PreparedConv, output: PreparedOutput): PreparedOutput {
  return {
    run: (x, residual) => output.run(first.run(x), residual),
    tensors: [...first.tensors, ...output.tensors],
    chains: output.chains,
  };
}

const convClass = (spec: ConvSpec): K.ConvClass => ({ kind: convKind(spec), ...spec });

/**
 * A k×k grouped or depthwise conv, then a 1×1 output conv: one fused kernel where the config
 * picks it (kernels/config.ts selectSeparable), else the two convs as chosen apart.
 */
export function prepareSeparable(
  first: ConvWeights,
  second: ConvWeights,
  residualAct: ResidualAct,
  config: KernelConfig,
  next?: ConvWeights,
): PreparedOutput {
  const fusable = residualAct === null || second.spec.act === 'linear';
  if (
    !fusable ||
    K.selectSeparable(convClass(first.spec), convClass(second.spec), config) !== 'kernel'
  ) {
    return thenOutput(
      prepareConv(first.spec, first.weight, first.bias, config),
      prepareOutputConv(second, residualAct, config, next),
    );
  }
  const [k] = first.weight.shape;
  const depthwise = convKind(first.spec) === 'depthwise';
  // A depthwise [k, k, C, 1] filter is the grouped [k, k, 1, C] one: the same values in order.
  const dw = depthwise ? tf.reshape(first.weight, [k, k, 1, first.spec.outChannels]) : first.weight;
  const attrs = {
    strides: first.spec.stride,
    groups: first.spec.groups,
    activation: kernelAct(first.spec.act),
    outActivation: residualAct ?? kernelAct(second.spec.act),
  };
  const [dwFilter, pwFilter] = stored(config, dw as tf.Tensor4D, second.weight);
  if (dw !== first.weight && dwFilter !== dw) dw.dispose();
  const dwOp = { filter: dwFilter, bias: first.bias };
  const pwOp = { filter: pwFilter, bias: second.bias };
  return {
    run: (x, residual) => ({
      x: K.separableConv2d(
        x,
        dwOp,
        pwOp,
        attrs,
        residualAct === null ? undefined : residualOf(second.spec, residual),
      ),
    }),
    tensors: [dwOp.filter, first.bias, pwOp.filter, second.bias],
    chains: false,
  };
}

/**
 * Squeeze-excitation, then the output conv: on WebGPU the gates in one dispatch and the conv
 * reading its input through them (kernels/config.ts selectExcitedConv), else the
 * excitation's implementation, then the conv.
 */
export function prepareExcitedConv(
  se: stock.SqueezeExciteWeights,
  reduceAct: Activation,
  conv: ConvWeights,
  residualAct: ResidualAct,
  config: KernelConfig,
  next?: ConvWeights,
): PreparedOutput {
  const squeezed = se.reduceWeight.shape[1];
  const fusable = residualAct === null || conv.spec.act === 'linear';
  if (
    !fusable ||
    K.selectExcitedConv({ reduceAct, squeezed }, convClass(conv.spec), config) !== 'kernel'
  ) {
    const excite = prepareSqueezeExcite(se, reduceAct, config);
    const output = prepareOutputConv(conv, residualAct, config, next);
    return {
      run: (x, residual) => output.run(excite.run(x), residual),
      tensors: [...excite.tensors, ...output.tensors],
      chains: output.chains,
    };
  }
  const gatesAttrs = { activation: reduceAct as 'relu' | 'silu' };
  const { spec, bias } = conv;
  se = storedExcitation(se, config);
  const attrs = {
    strides: spec.stride,
    groups: spec.groups,
    activation: residualAct ?? kernelAct(spec.act),
    threads: config.threads,
  };
  const seTensors = [se.reduceWeight, se.reduceBias, se.expandWeight, se.expandBias];
  const chained =
    residualAct === null
      ? null
      : prepareChainedTail(spec, conv.weight, bias, residualAct, next, config);
  if (chained) {
    return {
      run: (x, residual) => {
        const scale = K.squeezeExciteGates(x, se, gatesAttrs);
        return chained.run(x, { residual: residualOf(spec, residual), scale });
      },
      tensors: [...seTensors, ...chained.tensors],
      chains: true,
    };
  }
  const [weight] = stored(config, conv.weight);
  return {
    run: (x, residual) => {
      const gates = K.squeezeExciteGates(x, se, gatesAttrs);
      const r = residualAct === null ? undefined : residualOf(spec, residual);
      return { x: K.groupConv2d(x, weight, bias, attrs, r, gates) };
    },
    tensors: [...seTensors, weight, bias],
    chains: false,
  };
}

/**
 * Squeeze-excitation's two weights as the gates kernel reads them (`stored`); float32 ones
 * replaced are freed (they are the [in, out] views SqueezeExciteOp.weights made).
 */
function storedExcitation(
  se: stock.SqueezeExciteWeights,
  config: KernelConfig,
): stock.SqueezeExciteWeights {
  const [reduceWeight, expandWeight] = stored(config, se.reduceWeight, se.expandWeight);
  if (reduceWeight !== se.reduceWeight) tf.dispose([se.reduceWeight, se.expandWeight]);
  return { ...se, reduceWeight, expandWeight };
}

/**
 * Squeeze-excitation as a fusion decides on it: its reduce conv's activation and width, and
 * its weights, read only once the fusion is chosen (reading reshapes two of them).
 */
export interface SqueezeExciteOp {
  reduceAct: Activation;
  squeezed: number;
  weights: () => stock.SqueezeExciteWeights;
}

/**
 * A bottleneck's end with a projection shortcut, act(output(se(first(h))) + shortcut(x)):
 * where the config picks it (kernels/config.ts selectProjectedConv, and selectExcitedConv
 * with squeeze-excitation) the projection is the output conv's second sum, and `run(h, x)`
 * takes the block's input x as its second argument; null where the config does not.
 */
export function prepareProjectedOutput(
  first: ConvWeights,
  se: SqueezeExciteOp | undefined,
  output: ConvWeights,
  shortcut: ConvWeights,
  act: 'linear' | 'relu',
  config: KernelConfig,
  next?: ConvWeights,
): PreparedOutput | null {
  const outputClass = convClass(output.spec);
  if (K.selectProjectedConv(outputClass, convClass(shortcut.spec), config) !== 'kernel') {
    return null;
  }
  if (se && K.selectExcitedConv(se, outputClass, config) !== 'kernel') return null;
  const given = se?.weights();
  const seWeights = given && storedExcitation(given, config);
  const conv = prepareConv(first.spec, first.weight, first.bias, config);
  const attrs = { shortcutStrides: shortcut.spec.stride, activation: act };
  const gatesAttrs = { activation: se?.reduceAct as 'relu' | 'silu' };
  const seTensors = seWeights ? Object.values(seWeights) : [];
  // Chained, both biases are summed into the chained conv's params.
  const chained = prepareChainedTail(
    output.spec,
    output.weight,
    output.bias,
    act,
    next,
    config,
    shortcut,
  );
  const tail = chained ?? projectedTail(output, shortcut, attrs, config);
  return {
    run: (h, x) => {
      const y = conv.run(h);
      const scale = seWeights ? K.squeezeExciteGates(y, seWeights, gatesAttrs) : undefined;
      const extras = { shortcutX: residualOf(shortcut.spec, x), ...(scale ? { scale } : {}) };
      return tail.run(y, extras);
    },
    tensors: [...conv.tensors, ...seTensors, ...tail.tensors],
    chains: chained !== null,
  };
}

/** The block's output conv with its projection summed in, unchained. */
function projectedTail(
  output: ConvWeights,
  shortcut: ConvWeights,
  attrs: K.ProjectedConv2DAttrs,
  config: KernelConfig,
): Prepared<(y: tf.Tensor4D, extras: K.ChainedExtras) => Flow> {
  // One bias for both sums (the shortcut's own is freed with the weights not kept).
  const bias = tf.add<tf.Tensor1D>(output.bias, shortcut.bias);
  const [outputWeight, shortcutWeight] = stored(config, output.weight, shortcut.weight);
  return {
    run: (y, extras) => {
      const projection = { x: extras.shortcutX!, filter: shortcutWeight };
      return { x: K.projectedConv2d(y, outputWeight, bias, projection, attrs, extras.scale) };
    },
    tensors: [outputWeight, bias, shortcutWeight],
  };
}

/** 1×1 HWIO conv weight → the [in, out] matrix it is on a 1×1 map. */
export function pointwiseMatrix(weight: tf.Tensor4D): tf.Tensor2D {
  const [, , inChannels, outChannels] = weight.shape;
  return tf.reshape(weight, [inChannels, outChannels]);
}

/** Squeeze-excitation: x · sigmoid(expand(act(reduce(mean(x))))), on its kernel where it can. */
export function prepareSqueezeExcite(
  weights: stock.SqueezeExciteWeights,
  reduceAct: Activation,
  config: KernelConfig,
): PreparedSqueezeExcite {
  const tensors = [
    weights.reduceWeight,
    weights.reduceBias,
    weights.expandWeight,
    weights.expandBias,
  ];
  if (K.selectSqueezeExcite(reduceAct, config) === 'kernel') {
    const activation = reduceAct as 'relu' | 'silu';
    const attrs = { activation, threads: config.threads };
    return { run: (x) => K.squeezeExcite(x, weights, attrs), tensors };
  }
  return { run: (x) => stock.squeezeExcite(x, weights, reduceAct), tensors };
}

/**
 * The classifier, x [N, in] · weight [in, out] + bias: tfjs' matMul, or on WASM with
 * webnets' kernels a packed 1×1 conv (kernels/config.ts selectLinear).
 */
export function prepareLinear(
  weight: tf.Tensor2D,
  bias: tf.Tensor1D,
  config: KernelConfig,
): PreparedLinear {
  const [inputs, outputs] = weight.shape;
  if (K.selectLinear(inputs, config) === 'stock') {
    return { run: (x) => stock.linear(x, weight, bias), tensors: [weight, bias] };
  }
  const filter = tf.tidy(() => K.packDenseFilter(tf.reshape(weight, [1, 1, inputs, outputs])));
  const attrs = {
    strides: 1,
    groups: 1,
    activation: 'linear' as const,
    packed: true,
    threads: config.threads,
  };
  return {
    run: (x) => {
      const [n] = x.shape;
      const y = K.groupConv2d(tf.reshape(x, [n, 1, 1, inputs]), filter, bias, attrs);
      return tf.reshape(y, [n, outputs]);
    },
    tensors: [filter, bias],
  };
}

export type PreparedPooledLinear = Prepared<(x: tf.Tensor4D) => tf.Tensor2D>;

/**
 * The logits from the last feature map: the global pool fused into the classifier where the
 * config picks it (kernels/config.ts selectPooledLinear), else the pool, then `classifier`.
 */
export function preparePooledLinear(
  weight: tf.Tensor2D,
  bias: tf.Tensor1D,
  classifier: PreparedLinear,
  config: KernelConfig,
): PreparedPooledLinear {
  if (K.selectPooledLinear(config) === 'kernel') {
    return { run: (x) => K.poolLinear(x, weight, bias), tensors: [weight, bias] };
  }
  return { run: (x) => classifier.run(stock.globalAvgPool(x)), tensors: classifier.tensors };
}

/**
 * The classifier (what `forward` runs on the pooled features) and the logits head
 * (preparePooledLinear). With float16 weights on the pool-linear kernel the classifier is
 * that kernel on a 1×1 map, so the weight is stored once, in float16.
 */
export function prepareClassifier(
  weight: tf.Tensor2D,
  bias: tf.Tensor1D,
  config: KernelConfig,
): { classifier: PreparedLinear; head: PreparedPooledLinear } {
  if (config.precision === 'float16' && K.selectPooledLinear(config) === 'kernel') {
    const [filter] = stored(config, weight);
    const head: PreparedPooledLinear = {
      run: (x) => K.poolLinear(x, filter, bias),
      tensors: [filter, bias],
    };
    const classifier: PreparedLinear = {
      run: (x) => head.run(tf.reshape(x, [x.shape[0], 1, 1, x.shape[1]])),
      tensors: [],
    };
    return { classifier, head };
  }
  const classifier = prepareLinear(weight, bias, config);
  return { classifier, head: preparePooledLinear(weight, bias, classifier, config) };
}

export { globalAvgPool } from './stock';
