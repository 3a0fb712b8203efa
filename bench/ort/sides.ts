/**
 * The two contestants as the page drives them: webnets through its public API from
 * /dist/webnets.js, onnxruntime-web through its own WASM or WebGPU execution provider.
 * Each side is a loaded network plus a `run` that gives logits for the benchmark input,
 * measured as a user gets them (webnets: predict on an HWC 0–255 tensor, preprocessing
 * and logits readback included; ORT: session.run on a prepared NCHW tensor and getData).
 */
import type * as tfType from '@tensorflow/tfjs-core';
import type * as ortType from 'onnxruntime-web';
import type { PageConfig } from './protocol';

/** What the benchmark uses of a webnets model (the runtime's Model interface). */
export interface WebnetsModel {
  readonly backendReason: string;
  readonly info: {
    complexity: { params: number; macs: number };
    preprocessing: {
      inputSize: number;
      resizeSize: number;
      mean: readonly number[];
      std: readonly number[];
    };
  };
  predict(source: unknown): Promise<Float32Array>;
  dispose(): void;
}

export interface WebnetsLoadOptions {
  weightsUrl: string;
  backend: 'wasm' | 'webgpu';
  threads: number | 'auto';
  cache: false;
}

/** What the benchmark uses of dist/webnets.js. */
export interface WebnetsModule {
  version: string;
  tf: typeof tfType;
  load?: (id: string, options: WebnetsLoadOptions) => Promise<WebnetsModel>;
}

export type Ort = typeof ortType;

export interface Side {
  run(): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface WebnetsSide extends Side {
  model: WebnetsModel;
}

// Module URLs are computed, so Vite leaves them alone and the browser fetches the files as built.
const importUrl = (url: string): Promise<unknown> => import(/* @vite-ignore */ url);

export async function importWebnets(): Promise<WebnetsModule> {
  return (await importUrl('/dist/webnets.js')) as WebnetsModule;
}

/**
 * onnxruntime-web with the page's thread count. Its plain WASM build on WASM pages (the
 * fastest CPU build it ships), its WebGPU build on WebGPU pages. Threads and SIMD are
 * read when ORT starts its runtime, i.e. at the first session: one configuration a page.
 */
export async function importOrt(config: PageConfig): Promise<Ort> {
  const file = config.backend === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs';
  const ort = (await importUrl(`${config.ortPath}${file}`)) as Ort;
  ort.env.wasm.wasmPaths = config.ortPath;
  ort.env.wasm.numThreads = config.threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  return ort;
}

/** Loads a webnets model and binds it to one input image (HWC, 0–255, float32). */
export async function loadWebnets(
  webnets: WebnetsModule,
  id: string,
  options: WebnetsLoadOptions,
  image: { pixels: Float32Array; side: number },
): Promise<WebnetsSide> {
  if (webnets.load === undefined) throw new Error('dist/webnets.js exports no load()');
  const model = await webnets.load(id, options);
  const input = webnets.tf.tensor3d(image.pixels, [image.side, image.side, 3], 'float32');
  return {
    model,
    run: () => model.predict(input),
    dispose: async () => {
      input.dispose();
      model.dispose();
    },
  };
}

export interface OrtSide extends Side {
  /** Runs the session on another NCHW input once (the PyTorch reference check). */
  runOn(nchw: Float32Array): Promise<Float32Array>;
}

export async function loadOrt(
  ort: Ort,
  onnxUrl: string,
  backend: 'wasm' | 'webgpu',
  nchw: Float32Array,
  size: number,
): Promise<OrtSide> {
  const session = await ort.InferenceSession.create(onnxUrl, {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
  });
  const inputName = session.inputNames[0] as string;
  const outputName = session.outputNames[0] as string;
  const runOn = async (data: Float32Array): Promise<Float32Array> => {
    const tensor = new ort.Tensor('float32', data, [1, 3, size, size]);
    const out = await session.run({ [inputName]: tensor });
    const logits = out[outputName] as ortType.Tensor;
    try {
      return (await logits.getData()) as Float32Array;
    } finally {
      logits.dispose();
    }
  };
  return {
    run: () => runOn(nchw),
    runOn,
    dispose: () => session.release(),
  };
}
