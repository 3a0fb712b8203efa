/**
 * A network spec and its weights → an ONNX model (opset 13, batch 1, NCHW input), the graph
 * PyTorch's exporter writes for the same network in eval mode with constant folding: every
 * conv with its (batch-norm-folded) bias, ReLU, SiLU as Sigmoid · x, squeeze-excitation as
 * GlobalAveragePool → Conv → act → Conv → Sigmoid → Mul, residual Add (then ReLU in RegNet),
 * GlobalAveragePool → Flatten → Gemm. Pure: bytes in memory; src/export/pack.ts reads packs
 * and writes files.
 *
 * Layouts: webnets' runtime layout (src/models/spec.ts: HWIO convs, [k, k, C, 1] depthwise,
 * [in, out] classifier) is transposed to ONNX's (OIHW, [C, 1, k, k], Gemm's [out, in] with
 * transB = 1, as PyTorch writes its Linear).
 */
import * as protobuf from 'protobufjs/light';
import type { SourceTensor } from '../convert/state-dict';
import type {
  Activation,
  BlockSpec,
  ConvSpec,
  NetworkSpec,
  SqueezeExciteSpec,
} from '../models/spec';
import { convKind, paramSpecs } from '../models/spec';
import { VERSION } from '../version';
import { ONNX_SCHEMA } from './onnx-schema.generated';

/** The operator set the graph uses (PyTorch 1.13's default export, and what the bench ran). */
export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13 (ONNX's versioning table: IR 7, ONNX 1.8). */
export const ONNX_IR_VERSION = 7;
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType('onnx.ModelProto');

/** onnx.proto's enum values this writer uses. */
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2; // AttributeProto.AttributeType.INT
const ATTR_INTS = 7;

interface Attribute {
  name: string;
  type: number;
  i?: number;
  ints?: number[];
}

interface Node {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}

interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

const ints = (name: string, values: number[]): Attribute => ({
  name,
  type: ATTR_INTS,
  ints: values,
});
const int = (name: string, value: number): Attribute => ({ name, type: ATTR_INT, i: value });

/** Float32 values as TensorProto.raw_data wants them: little-endian bytes. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

/** A runtime-layout conv weight in ONNX's [O, I/groups, k, k] (depthwise: [C, 1, k, k]). */
export function onnxConvWeight(conv: ConvSpec, runtime: Float32Array): Float32Array {
  const { kernel: k, outChannels: out } = conv;
  const depthwise = convKind(conv) === 'depthwise';
  const inPerGroup = depthwise ? 1 : conv.inChannels / conv.groups;
  const oihw = new Float32Array(runtime.length);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inPerGroup; i++) {
      for (let y = 0; y < k; y++) {
        for (let x = 0; x < k; x++) {
          const from = depthwise ? (y * k + x) * out + o : ((y * k + x) * inPerGroup + i) * out + o;
          oihw[((o * inPerGroup + i) * k + y) * k + x] = runtime[from]!;
        }
      }
    }
  }
  return oihw;
}

/** [in, out] → [out, in]. */
function transposed(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** The nodes and initializers of one graph, named after the spec's layers. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  private readonly used = new Map<string, number>();

  constructor(private readonly weight: (name: string) => SourceTensor) {}

  /**
   * Adds a node named `${name}/${opType}` (numbered when repeated) and returns its one
   * output: `${node}_output`, or `output` when given (the graph's).
   */
  node(
    opType: string,
    name: string,
    input: string[],
    attribute: Attribute[] = [],
    output?: string,
  ): string {
    const base = `${name}/${opType}`;
    const n = this.used.get(base) ?? 0;
    this.used.set(base, n + 1);
    const id = n === 0 ? base : `${base}_${n}`;
    const y = output ?? `${id}_output`;
    this.nodes.push({ name: id, opType, input, output: [y], attribute });
    return y;
  }

  initializer(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: littleEndianBytes(values) });
    return name;
  }

  activation(x: string, act: Activation, name: string): string {
    switch (act) {
      case 'linear':
        return x;
      case 'relu':
        return this.node('Relu', name, [x]);
      case 'sigmoid':
        return this.node('Sigmoid', name, [x]);
      case 'silu':
        return this.node('Mul', name, [x, this.node('Sigmoid', name, [x])]);
    }
  }

  /** Conv + bias (batch norm folded), padded k//2 on every side as PyTorch pads, then `act`. */
  conv(x: string, conv: ConvSpec, act: Activation = conv.act): string {
    const { kernel: k, stride, groups, outChannels, inChannels } = conv;
    const w = this.weight(`${conv.name}.weight`);
    const b = this.weight(`${conv.name}.bias`);
    const dims = [outChannels, convKind(conv) === 'depthwise' ? 1 : inChannels / groups, k, k];
    const pad = k >> 1;
    const y = this.node(
      'Conv',
      conv.name,
      [
        x,
        this.initializer(`${conv.name}.weight`, dims, onnxConvWeight(conv, w.data)),
        this.initializer(`${conv.name}.bias`, [outChannels], b.data),
      ],
      [
        ints('dilations', [1, 1]),
        int('group', groups),
        ints('kernel_shape', [k, k]),
        ints('pads', [pad, pad, pad, pad]),
        ints('strides', [stride, stride]),
      ],
    );
    return this.activation(y, act, conv.name);
  }

  squeezeExcite(x: string, se: SqueezeExciteSpec, name: string): string {
    const pooled = this.node('GlobalAveragePool', name, [x]);
    const gate = this.conv(this.conv(pooled, se.reduce), se.expand);
    return this.node('Mul', name, [x, gate]);
  }

  /** act(x + shortcut). */
  residual(x: string, shortcut: string, act: Activation, name: string): string {
    return this.activation(this.node('Add', name, [x, shortcut]), act, name);
  }

  /** One block, as src/models/layers.ts runs it. */
  block(x: string, block: BlockSpec): string {
    switch (block.kind) {
      case 'conv':
        return this.conv(x, block.conv);
      case 'dwsep':
        return this.conv(this.conv(x, block.depthwise), block.pointwise);
      case 'mbconv': {
        const name = block.depthwise.name.replace(/\.[^.]*$/, '');
        let h = block.expand ? this.conv(x, block.expand) : x;
        h = this.conv(h, block.depthwise);
        if (block.se) h = this.squeezeExcite(h, block.se, `${name}.se`);
        h = this.conv(h, block.project);
        return block.residual ? this.residual(h, x, 'linear', name) : h;
      }
      case 'bottleneck': {
        const name = block.a.name.replace(/\.[^.]*$/, '');
        let h = this.conv(this.conv(x, block.a), block.b);
        if (block.se) h = this.squeezeExcite(h, block.se, `${name}.se`);
        h = this.conv(h, block.c);
        const shortcut = block.shortcut ? this.conv(x, block.shortcut) : x;
        return this.residual(h, shortcut, 'relu', name);
      }
    }
  }
}

/** A tensor shape as ValueInfoProto spells it. */
function tensorType(dims: number[]) {
  return { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } };
}

export interface OnnxMetadata {
  /** Free text for the model's doc_string (where the weights came from). */
  doc?: string;
  /** metadata_props: key → value (the pack's preprocessing, its source). */
  props?: Record<string, string>;
}

/**
 * The ONNX model of `spec` with `weights` (runtime layout, named as `paramSpecs(spec)`
 * names them): input `input` [1, 3, S, S] NCHW, normalized as the pack's preprocessing
 * says; output `logits` [1, classes]. Throws naming a missing or misshaped tensor.
 */
export function onnxModel(
  spec: NetworkSpec,
  weights: ReadonlyMap<string, SourceTensor>,
  metadata: OnnxMetadata = {},
): Uint8Array {
  for (const { name, shape } of paramSpecs(spec)) {
    const tensor = weights.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!tensor) throw new Error(`${spec.id}: tensor '${name}' [${shape.join(', ')}] is missing`);
    if (tensor.shape.join() !== shape.join() || tensor.data.length !== size) {
      throw new Error(
        `${spec.id}: tensor '${name}' is [${tensor.shape.join(', ')}] with ${tensor.data.length} values, expected [${shape.join(', ')}]`,
      );
    }
  }
  const graph = new GraphBuilder((name) => weights.get(name)!);
  let x = ONNX_INPUT;
  for (const block of spec.blocks) x = graph.block(x, block);
  const fc = spec.classifier;
  const pooled = graph.node('GlobalAveragePool', 'pool', [x]);
  const flat = graph.node('Flatten', 'pool', [pooled], [int('axis', 1)]);
  const w = weights.get(`${fc.name}.weight`)!.data;
  const b = weights.get(`${fc.name}.bias`)!.data;
  const dims = [fc.outFeatures, fc.inFeatures];
  graph.node(
    'Gemm',
    fc.name,
    [
      flat,
      graph.initializer(`${fc.name}.weight`, dims, transposed(w, fc.inFeatures, fc.outFeatures)),
      graph.initializer(`${fc.name}.bias`, [fc.outFeatures], b),
    ],
    [int('transB', 1)],
    ONNX_OUTPUT,
  );
  const model = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'webnets',
    producerVersion: VERSION,
    docString: metadata.doc ?? '',
    graph: {
      name: spec.id,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [{ name: ONNX_INPUT, type: tensorType([1, 3, spec.inputSize, spec.inputSize]) }],
      output: [{ name: ONNX_OUTPUT, type: tensorType([1, fc.outFeatures]) }],
    },
    metadataProps: Object.entries(metadata.props ?? {}).map(([key, value]) => ({ key, value })),
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

export interface OnnxSummary {
  irVersion: number;
  opset: number;
  producer: string;
  inputs: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
  /** Nodes per operator type. */
  ops: Record<string, number>;
  initializers: number;
  metadata: Record<string, string>;
}

/** The fields summarizeOnnx reads of a decoded ModelProto (int64s come as Long or number). */
interface DecodedModel {
  irVersion: unknown;
  opsetImport: { domain: string; version: unknown }[];
  producerName: string;
  producerVersion: string;
  graph: {
    node: { opType: string }[];
    initializer: unknown[];
    input: DecodedValueInfo[];
    output: DecodedValueInfo[];
  };
  metadataProps: { key: string; value: string }[];
}

interface DecodedValueInfo {
  name: string;
  type: { tensorType: { shape: { dim: { dimValue: unknown }[] } } };
}

/** What an ONNX file holds, read back: opset, inputs and outputs, nodes per operator type. */
export function summarizeOnnx(bytes: Uint8Array): OnnxSummary {
  // The decoded message itself, not toObject: that would copy every weight's bytes.
  const m = ModelProto.decode(bytes) as unknown as DecodedModel;
  const io = (values: DecodedValueInfo[]) =>
    values.map((v) => ({
      name: v.name,
      dims: v.type.tensorType.shape.dim.map((d) => Number(d.dimValue)),
    }));
  const ops: Record<string, number> = {};
  for (const node of m.graph.node) ops[node.opType] = (ops[node.opType] ?? 0) + 1;
  return {
    irVersion: Number(m.irVersion),
    opset: Number(m.opsetImport.find((o) => !o.domain)?.version ?? 0),
    producer: `${m.producerName} ${m.producerVersion}`.trim(),
    inputs: io(m.graph.input),
    outputs: io(m.graph.output),
    ops,
    initializers: m.graph.initializer.length,
    metadata: Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value])),
  };
}
