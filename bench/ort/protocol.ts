/**
 * What bench/ort/run.ts (Node) and bench/ort/page.ts (the browser) say to each other through
 * Playwright's page.evaluate: plain JSON, one page load per backend configuration
 * (tfjs fixes its WASM thread count when the backend starts, ORT when its runtime starts).
 */

/** One page load: which backend both sides run on, and with how many WASM threads. */
export interface PageConfig {
  /** 'wasm1', 'wasm2', …, 'wasmauto', 'webgpu': the name the command line and the report use. */
  label: string;
  backend: 'wasm' | 'webgpu';
  /** WASM threads: ORT's `env.wasm.numThreads`, and webnets' unless webnetsThreads says 'auto'. */
  threads: number;
  /** webnets' `threads` option: the page's count, or 'auto' (page 'wasmauto'). */
  webnetsThreads: number | 'auto';
  /** Where onnxruntime-web's .mjs/.wasm files are served (ORT's `env.wasm.wasmPaths`). */
  ortPath: string;
  /**
   * What the webnets side times: 'predict' (load + predict from dist/webnets.js, what a
   * user gets) or 'forward' (network.forward from the sources, no preprocessing: the same
   * work as ORT's run).
   */
  webnetsCall: 'predict' | 'forward';
}

/** One network on the page's backend: both sides, same weights, same input. */
export interface ModelJob {
  id: string;
  /** URL of the ONNX file (ORT) and of the webnets pack's model.json. */
  onnxUrl: string;
  packUrl: string;
  /**
   * The pack's preprocessing (ImageNet's mean/std and the ONNX input size when there is
   * no pack): the benchmark image is resizeSize² so webnets' resize is the identity and
   * ORT gets the same centre crop, normalized the same way.
   */
  preprocessing: {
    inputSize: number;
    resizeSize: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  /** Timed inferences per side, and untimed warm-ups per side before them. */
  runs: number;
  warmup: number;
  /** Profiled inferences (webnets only): per op type, the median over these. */
  profileRuns: number;
  /** PyTorch's logits on a reference input: checks the ONNX export itself in ORT. */
  reference: { inputUrl: string; logits: number[] } | null;
}

/** Per op type (tfjs kernel, convs split by kernel size): median ms per inference. */
export interface OpTime {
  op: string;
  ms: number;
  calls: number;
}

/** The fields of a tfjs profile record the benchmark reads. */
export interface KernelRecord {
  name: string;
  inputShapes: number[][];
  kernelTimeMs: number | { error: string };
}

/**
 * The profile as the page takes it: every kernel of each profiled inference. Node turns
 * it into a WebnetsProfile (bench/ort/profile.ts), so the page need not import webnets'
 * kernel names from the sources (that would bring the sources' tfjs into a page that
 * runs dist/webnets.js).
 */
export interface RawProfile {
  wallMs: number;
  note: string;
  runs: KernelRecord[][];
}

export interface WebnetsProfile {
  /** Wall time of a profiled predict (kernel timing adds overhead), median. */
  wallMs: number;
  /** Sum of kernel times; wallMs − kernelMs is preprocessing dispatch, JS and readback. */
  kernelMs: number;
  ops: OpTime[];
  /** Whether kernel times are real (WASM runs kernels synchronously; WebGPU needs timestamp queries). */
  note: string;
}

export interface MemoryFacts {
  /** tf.memory() once the model is loaded and warm (the weights, mostly). */
  residentBytes: number;
  /** Peak of tf.memory().numBytes during one predict (tf.profile's peakBytes). */
  peakBytes: number;
  /** tf.memory() after the timed runs minus before them: should be 0. */
  growthBytes: number;
  growthTensors: number;
  /** The tfjs WASM heap before and after the timed runs (null on WebGPU). */
  wasmHeapBefore: number | null;
  wasmHeapAfter: number | null;
}

export interface Agreement {
  maxAbsDiff: number;
  maxAbsLogit: number;
  /** Top-1 class of each side. */
  top1: [number, number];
}

export interface SideTimes {
  /** Milliseconds per inference, in run order. */
  ms: number[];
  /** Load + first inference, from nothing loaded to logits in hand. */
  firstPredictionMs: number;
}

/** One model's results; the page sends them with a RawProfile, Node keeps a WebnetsProfile. */
export interface ModelResult<P = WebnetsProfile> {
  id: string;
  inputSize: number;
  /** From webnets' model.info (null when the webnets side did not run). */
  macs: number | null;
  params: number | null;
  webnets: (SideTimes & { memory: MemoryFacts; profile: P }) | { error: string };
  ort: SideTimes | { error: string };
  /** webnets against ORT on the benchmark input. */
  agreement: Agreement | null;
  /** ORT against PyTorch on the reference input (checks the ONNX export). */
  ortVsPytorch: Agreement | null;
  /** Backend descriptions the sides report, e.g. 'wasm-simd (2 threads): …'. */
  webnetsBackend: string | null;
  /** WASM threads tfjs actually runs (it may use fewer than asked); null on WebGPU. */
  webnetsThreads: number | null;
  /**
   * On WASM pages of more than one thread ('auto' included): webnets loaded again with `threads: 1` in the
   * same page (its kernels on the calling thread), timed in the same rounds as the other
   * sides, so thread scaling is read round by round like webnets/ORT. Null elsewhere.
   */
  webnetsOneThread: { ms: number[] } | { error: string } | null;
}

/** What the page knows about itself. */
export interface PageFacts {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  /** navigator.gpu adapter info on WebGPU pages: vendor, architecture, description. */
  gpu: { vendor: string; architecture: string; description: string; fallback: boolean } | null;
  webnetsVersion: string;
  /** What the webnets side times on this page (see PageConfig.webnetsCall). */
  webnetsCall: 'predict' | 'forward';
  /** Null when the webnets side can run here, else why not. */
  webnetsMissing: string | null;
}
