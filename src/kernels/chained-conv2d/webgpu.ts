/**
 * A block's last 1×1 conv and the next block's first 1×1 conv in one tfjs-backend-webgpu
 * program, two outputs: y = act(x · W + bias [+ residual | + shortcutX[::s, ::s] · Ws])
 * [x read through scale], then next = nextAct(y · nextW + nextBias). Both convs are
 * per-pixel, so a workgroup that computes a tile of pixels' whole y (all Cout channels) has
 * all the next conv needs. A workgroup is `quads` groups of 4 pixels × `lanes` threads (one
 * per 4 channels of the wider of the two convs): each thread computes 4 pixels × 4 channels
 * of y from vec4 reads (the pointwise program's step) and writes them to `result`; after a
 * storage barrier (the workgroup's writes visible to the workgroup) it computes 4 pixels × 4
 * channels of `next` from the tile's y read back from `result`, where the unchained next
 * conv would read it in a dispatch of its own. No workgroup memory: on SwiftShader a
 * workgroup array's size sets a pipeline's compile time (a 4 pixels × Cout tile made
 * RegNetX-400MF's compile-ahead 4-7× slower), and the tile's size would limit the widths.
 * As many invocations as each conv alone, one dispatch fewer.
 *
 * `lanes` and `quads` are uniforms and the workgroup has one of two sizes
 * (CHAIN_WORKGROUP_SIZES, the smallest holding lanes × quads): one pipeline per form
 * (activations, residual, shortcut, gates) and size serves every stage of a network, where a
 * workgroup sized to each stage's widths compiled one pipeline per stage (SwiftShader
 * compiles each for seconds at load). The tile keeps the per-width layout (at least 64
 * busy threads, as few quads as that takes), so a dispatch has as many workgroups as a
 * per-width one: on a GPU with many more cores than a late stage's 7×7 map has workgroups,
 * bigger tiles would leave cores idle. The threads past lanes × quads idle (at most 64).
 *
 * The weights and biases of both convs come packed in one buffer (`params`, chainParams'
 * layout): with both outputs, the input, a residual or shortcut input and the gates, a
 * dispatch binds at most 6 storage buffers, within the 8 every adapter offers (unpacked,
 * a gated projection would need 10). tfjs' programs have one output (`result`); the
 * second, `next`, is bound after the uniforms (binding variableNames + 2) by
 * `runChainedProgram`, which adds it to the bind group tfjs makes for the dispatch.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runSharedProgram } from '../shared-pipelines';
import type { WeightPrecision } from '../half';
import type { KernelActivation } from '../kernel';
import { shortcutPixelWgsl } from '../group-conv2d/webgpu';
import {
  FLAT_WORKGROUP_WGSL,
  activationWgsl,
  pointwiseStepWgsl,
  precisionDirective,
} from '../wgsl';

/** Busy threads a workgroup has at least where the channels allow (two warps of 32). */
const MIN_THREADS = 64;
/**
 * A chained conv's workgroup sizes: the smallest holding a tile is used. 128 holds every
 * tile up to 512 channels (RegNet-400MF's widths); the last is the most threads a
 * workgroup may have on every adapter (WebGPU's default limit).
 */
const CHAIN_WORKGROUP_SIZES = [128, 256];
export const MAX_CHAIN_THREADS = CHAIN_WORKGROUP_SIZES[CHAIN_WORKGROUP_SIZES.length - 1]!;

/** How a chained conv's workgroup is laid out, from the two convs' output channels. */
export interface ChainTile {
  /** Threads per pixel quad: one per 4 channels of the wider conv. */
  lanes: number;
  /** Pixel quads (4 pixels each) per workgroup: as few as MIN_THREADS busy threads take. */
  quads: number;
}

export function chainTile(outChannels: number, nextChannels: number): ChainTile {
  const lanes = Math.max(outChannels, nextChannels) / 4;
  return { lanes, quads: Math.max(1, Math.ceil(MIN_THREADS / lanes)) };
}

/** The threads of a workgroup for `tile`: the smallest of the sizes that holds it. */
export function chainWorkgroupSize(tile: ChainTile): number | undefined {
  return CHAIN_WORKGROUP_SIZES.find((size) => tile.lanes * tile.quads <= size);
}

/** Whether two 1×1 convs of these widths can chain: whole lanes, the threads within limits. */
export function chainFits(tile: ChainTile): boolean {
  return Number.isInteger(tile.lanes) && chainWorkgroupSize(tile) !== undefined;
}

export interface ChainedInputs {
  x: TensorInfo;
  params: TensorInfo;
  residual?: TensorInfo;
  shortcutX?: TensorInfo;
  scale?: TensorInfo;
}

/**
 * Offsets in `params` (vec4s), in order: W [Cin, Cout], shortcutW [Cs, Cout] (with a
 * projection), bias [Cout], nextW [Cout, Cnext], nextBias [Cnext]; as WGSL expressions
 * of `cin`, `cs`, `cout4`, `cnext4` (channels, and vec4s per row).
 */
const PARAMS_WGSL = `
  fn shortcutWAt(cin : i32, cout4 : i32) -> i32 { return cin * cout4; }
  fn biasAt(cin : i32, cs : i32, cout4 : i32) -> i32 { return (cin + cs) * cout4; }
  fn nextWAt(cin : i32, cs : i32, cout4 : i32) -> i32 { return (cin + cs + 1) * cout4; }
  fn nextBiasAt(cin : i32, cs : i32, cout4 : i32, cnext4 : i32) -> i32 {
    return (cin + cs + 1) * cout4 + cout4 * 4 * cnext4;
  }`;

class ChainedConvProgram implements WebGPUProgram {
  variableNames: string[];
  variableComponents: number[];
  outputComponent = 4;
  uniforms = 'nextChannels : i32, shortcutStride : i32, lanes : i32, quads : i32,';
  workgroupSize: [number, number, number];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  readonly hasResidual: boolean;
  readonly hasScale: boolean;
  readonly hasShortcut: boolean;

  constructor(
    inputs: ChainedInputs,
    outputShape: number[],
    tile: ChainTile,
    readonly activation: KernelActivation,
    readonly nextActivation: KernelActivation,
    readonly precision: WeightPrecision = 'float32',
  ) {
    this.hasResidual = inputs.residual !== undefined;
    this.hasScale = inputs.scale !== undefined;
    this.hasShortcut = inputs.shortcutX !== undefined;
    this.variableNames = ['x', 'params'];
    if (this.hasResidual) this.variableNames.push('residual');
    if (this.hasShortcut) this.variableNames.push('shortcutX');
    if (this.hasScale) this.variableNames.push('scale');
    // Float16 params: 4 halves per vec2<i32>, at the same vec4 offsets.
    this.variableComponents = this.variableNames.map((v) =>
      v === 'params' && precision === 'float16' ? 2 : 4,
    );
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.workgroupSize = [chainWorkgroupSize(tile) ?? MAX_CHAIN_THREADS, 1, 1];
    const [n = 0, h = 0, w = 0] = outputShape;
    const pixelQuads = Math.ceil((n * h * w) / 4);
    this.dispatch = [Math.ceil(pixelQuads / tile.quads), 1, 1];
    this.shaderKey = [
      'webnets_chained_conv2d',
      activation,
      nextActivation,
      this.hasResidual,
      this.hasScale,
      this.hasShortcut,
      precision,
    ].join('_');
  }

  /** The binding of the second output: after the inputs and the uniforms tfjs binds. */
  get nextBinding(): number {
    return this.variableNames.length + 2;
  }

  getUserCode(): string {
    const rows = [0, 1, 2, 3];
    const p = this.precision;
    /** The vec4 of params at vec4 offset `i`, as f32. */
    const paramsAt = (i: string) =>
      p === 'float16' ? `vec4<f32>(bitcast<vec4<f16>>(params[${i}]))` : `params[${i}]`;
    const pixelRead = (r: number) => {
      const read = `x[p${r} * cin4 + c4]`;
      return this.hasScale ? `${read} * scale[(p${r} / hw) * cin4 + c4]` : read;
    };
    const shortcut = this.hasShortcut
      ? `${rows.map((r) => `let q${r} = shortcutPixel(p${r});`).join('\n        ')}
        let cs4 = cs / 4;
        let sw = shortcutWAt(cin, cout4);
        for (var c4 = 0; c4 < cs4; c4++) {
          ${pointwiseStepWgsl(
            'params',
            rows.map((r) => `shortcutX[q${r} * cs4 + c4]`),
            'sw',
            p,
          )}
        }`
      : '';
    return `
      ${precisionDirective(p)}
      ${activationWgsl('activate', this.activation, 'vec4<f32>')}
      ${activationWgsl('activateNext', this.nextActivation, 'vec4<f32>')}
      ${this.hasShortcut ? shortcutPixelWgsl : ''}
      ${FLAT_WORKGROUP_WGSL}
      ${PARAMS_WGSL}

      @group(0) @binding(${this.nextBinding}) var<storage, read_write> next : array<vec4<f32>>;

      fn shortcutChannels() -> i32 {
        return ${this.hasShortcut ? 'uniforms.shortcutXShape[3]' : '0'};
      }

      /** y for 4 pixels from p × output channels co4·4…+3. */
      fn outputQuad(p : i32, co4 : i32, pixels : i32) {
        let cout4 = uniforms.outShape[3] / 4;
        let cin = uniforms.xShape[3];
        let cin4 = cin / 4;
        let cs = shortcutChannels();
        let hw = uniforms.xShape[1] * uniforms.xShape[2];
        ${rows.map((r) => `let p${r} = min(p + ${r}, pixels - 1);`).join('\n        ')}
        ${rows.map((r) => `var acc${r} = vec4<f32>(0.0);`).join('\n        ')}
        for (var c4 = 0; c4 < cin4; c4++) {
          ${pointwiseStepWgsl('params', rows.map(pixelRead), '0', p)}
        }
        ${shortcut}
        let b = ${paramsAt('biasAt(cin, cs, cout4) + co4')};
        ${rows
          .map(
            (r) => `{
          let o = p${r} * cout4 + co4;
          let v = activate(acc${r} + b${this.hasResidual ? ' + residual[o]' : ''});
          if (p + ${r} < pixels) { result[o] = v; }
        }`,
          )
          .join('\n        ')}
      }

      /** next for the same 4 pixels × channels co4·4…+3, from their y in result. */
      fn nextQuad(p : i32, co4 : i32, pixels : i32) {
        let cin = uniforms.xShape[3];
        let cs = shortcutChannels();
        let tile4 = uniforms.outShape[3] / 4;
        let cout4 = uniforms.nextChannels / 4;
        let nw = nextWAt(cin, cs, tile4);
        ${rows.map((r) => `let p${r} = min(p + ${r}, pixels - 1);`).join('\n        ')}
        ${rows.map((r) => `var acc${r} = vec4<f32>(0.0);`).join('\n        ')}
        for (var c4 = 0; c4 < tile4; c4++) {
          ${pointwiseStepWgsl(
            'params',
            rows.map((r) => `result[p${r} * tile4 + c4]`),
            'nw',
            p,
          )}
        }
        let b = ${paramsAt('nextBiasAt(cin, cs, tile4, cout4) + co4')};
        ${rows
          .map(
            (r) => `if (p + ${r} < pixels) {
          next[(p + ${r}) * cout4 + co4] = activateNext(acc${r} + b);
        }`,
          )
          .join('\n        ')}
      }

      fn main(index : i32) {
        let lid = i32(localIndex);
        let lane = lid % uniforms.lanes;
        let quad = lid / uniforms.lanes;
        let p = (flatWorkgroup() * uniforms.quads + quad) * 4;
        let pixels = uniforms.outShape[0] * uniforms.outShape[1] * uniforms.outShape[2];
        let inTile = quad < uniforms.quads && p < pixels;
        if (inTile && lane < uniforms.outShape[3] / 4) {
          outputQuad(p, lane, pixels);
        }
        storageBarrier();
        if (inTile && lane < uniforms.nextChannels / 4) {
          nextQuad(p, lane, pixels);
        }
      }
    `;
  }
}

/** What is touched of tfjs-backend-webgpu 4.22's WebGPUBackend to bind a second output. */
interface SecondOutputBackend {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  commandQueueOwnedIds: Set<object>;
  uploadToGPU(dataId: object): void;
}

/**
 * Runs the chained program on checked inputs: [y, next]. tfjs binds the program's inputs,
 * its output and the uniforms when it records the dispatch; the second output's buffer is
 * added to that bind group (device.createBindGroup wrapped for the one synchronous call).
 */
export function runChainedProgram(
  backend: WebGPUBackend,
  inputs: ChainedInputs,
  outShape: number[],
  nextShape: number[],
  tile: ChainTile,
  attrs: {
    activation: KernelActivation;
    nextActivation: KernelActivation;
    shortcutStride: number;
  },
  precision: WeightPrecision = 'float32',
): [TensorInfo, TensorInfo] {
  const program = new ChainedConvProgram(
    inputs,
    outShape,
    tile,
    attrs.activation,
    attrs.nextActivation,
    precision,
  );
  const ordered = [inputs.x, inputs.params, inputs.residual, inputs.shortcutX, inputs.scale];
  const programInputs = ordered.filter((t): t is TensorInfo => t !== undefined);
  const uniforms = [nextShape[3]!, attrs.shortcutStride, tile.lanes, tile.quads].map((v) => ({
    type: 'int32',
    data: [v],
  }));
  const b = backend as unknown as SecondOutputBackend;
  const next = backend.makeTensorInfo(nextShape, 'float32');
  b.uploadToGPU(next.dataId);
  const buffer = b.tensorMap.get(next.dataId)?.resource as GPUBuffer;
  const device = b.device;
  const own = Object.prototype.hasOwnProperty.call(device, 'createBindGroup');
  const create = device.createBindGroup;
  device.createBindGroup = (descriptor: GPUBindGroupDescriptor) =>
    create.call(device, {
      ...descriptor,
      entries: [...descriptor.entries, { binding: program.nextBinding, resource: { buffer } }],
    });
  let y: TensorInfo;
  try {
    y = runSharedProgram(backend, program, programInputs, 'float32', uniforms);
  } finally {
    if (own) device.createBindGroup = create;
    else delete (device as Partial<GPUDevice>).createBindGroup;
  }
  // Freed only once the work writing it is submitted, as tfjs does for its own outputs.
  b.commandQueueOwnedIds.add(next.dataId);
  return [y, next];
}
