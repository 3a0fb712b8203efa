/**
 * The model object `load` returns: classify / predict / embed / dispose.
 *
 * - Calls run one at a time per model, in call order (SerialQueue): a render loop that
 *   fires faster than inference gets its answers in order, none mixed up.
 * - Every call frees what it made: preprocessing and forward run in one tf.tidy, the one
 *   output kept is disposed after its values are read with `await data()` (never
 *   dataSync, which stalls WebGPU's queue and the page).
 * - A bad source rejects that call only; the model keeps serving.
 * - If the WebGPU device is lost, the model starts the rest of its backend plan (WASM) and
 *   says so in `backendReason` (tfjs cannot recreate its WebGPU device within a page).
 */
import type { ActiveBackend, WasmSetup } from '../backend/activate';
import type { Precision } from '../backend/precision';
import { resolvePrecision } from '../backend/precision';
import { backendLost, mayBeLost, runOn } from '../backend/activate';
import type { BackendName, BackendPlan } from '../backend/policy';
import { afterLoss } from '../backend/policy';
import type { Started } from '../backend/start';
import { nextTask, startFirst } from '../backend/start';
import {
  autoOneThreadReason,
  backendLabel,
  networkSplitGauge,
  splitLossNote,
  wantedThreads,
} from '../backend/threads';
import type { SplitGauge } from '../backend/split-gauge';
import { setWasmKernelSplitting, wakeWasmKernelPool } from '../kernels';
import type { Network } from '../models/network';
import type { Family, Preprocessing } from '../models/spec';
import { tf } from '../tf';
import type { PackSource } from '../weights/pack';
import type { ClassifyOptions, ClassSelection, RegionOfInterest } from './classify-options';
import { checkClassifyOptions, selectClasses } from './classify-options';
import { networkInput, readableInput } from './preprocess';
import { SerialQueue } from './queue';
import type { ImageSource, PreparedSource } from './source';
import { prepareSource, releaseSource, SourceReadError } from './source';

export interface Classification {
  /** Class index in the label set. */
  index: number;
  label: string;
  /** Softmax probability, 0–1. */
  probability: number;
}

export type { Category, ClassifyOptions, RegionOfInterest } from './classify-options';

/** Where a model's weights came from. */
export type WeightsSource = { format: 'synthetic'; seed: number } | (PackSource & { url: string });

export interface ModelInfo {
  family: Family;
  /** Parameters, multiply-accumulates and activations of one 1-image inference. */
  complexity: { params: number; macs: number; activations: number };
  /** How inputs are prepared (the pack's, or the preset's for synthetic weights). */
  preprocessing: Preprocessing;
  /** True for seeded random weights: outputs are meaningless, speed is real. */
  synthetic: boolean;
  /** Name of the label set (`labels` holds the names). */
  labelSet: string;
  labels: readonly string[];
  source: WeightsSource;
}

export interface Model {
  readonly id: string;
  /** The backend running the model now: 'webgpu', 'wasm' or 'cpu'. */
  readonly backend: BackendName;
  /** Why that backend, e.g. 'wasm-simd (2 threads): low-power ARM GPU (qualcomm adreno)'. */
  readonly backendReason: string;
  /**
   * The precision its weights run in: 'float16' where `precision: 'float16'` was asked and the
   * WebGPU device has shader-f16, else 'float32' (`backendReason` says why).
   */
  readonly precision: Precision;
  /** Side of the square network input. */
  readonly inputSize: number;
  readonly info: ModelInfo;
  /** The topK classes, best first, of those the options select (classify-options.ts). */
  classify(source: ImageSource, options?: ClassifyOptions): Promise<Classification[]>;
  /** Logits, one per class. */
  predict(source: ImageSource): Promise<Float32Array>;
  /** The globally pooled features the classifier reads. */
  embed(source: ImageSource): Promise<Float32Array>;
  /** Frees the weights; later calls reject. Safe to call twice. */
  dispose(): void;
}

/** A network with what describes it (a pack's manifest decides preprocessing and labels). */
export interface BuiltNetwork {
  network: Network;
  info: ModelInfo;
}

/**
 * Builds the network on the backend that is active when called (weights onto it), as
 * often as the model starts on a backend; `release`, where given, frees what it keeps for
 * that (a pack's verified bytes) once the model runs where it cannot be lost.
 */
export type NetworkBuilder = (() => Promise<BuiltNetwork>) & { release?: () => void };

/** Softmax over the logits, then the k best, ties to the lower index. */
export function topClasses(
  logits: Float32Array,
  labels: readonly string[],
  k: number,
): Classification[] {
  return selectClasses(logits, labels, { topK: k, scoreThreshold: 0, allowed: null });
}

function prefixed(what: string, err: unknown): Error {
  return new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export class WebnetsModel implements Model {
  private readonly queue = new SerialQueue();
  private network: Network | null;
  private active: ActiveBackend;
  private reason: string;
  /** The backends this model may run on, and which of them it runs on. */
  private plan: BackendPlan;
  private at: number;
  private disposed = false;
  private busy = false;
  /** Whether splitting the network's kernels over the WASM pool pays (null: never splits). */
  private splitGauge: SplitGauge | null;

  readonly info: ModelInfo;

  constructor(
    readonly id: string,
    plan: BackendPlan,
    started: Started<BuiltNetwork>,
    private readonly build: NetworkBuilder,
    private readonly wasm: WasmSetup & { precision?: Precision },
  ) {
    this.info = started.bound.info;
    this.network = started.bound.network;
    this.splitGauge = networkSplitGauge(this.network.kernels);
    this.active = started.active;
    this.reason = started.reason;
    this.plan = plan;
    this.at = started.at;
    this.settle();
  }

  /** Nothing is rebuilt where the backend cannot be lost: the builder's copy goes. */
  private settle(): void {
    if (!mayBeLost(this.active.name)) this.build.release?.();
  }

  get backend(): BackendName {
    return this.active.name;
  }

  get precision(): Precision {
    return this.network?.kernels?.precision ?? 'float32';
  }

  /** E.g. 'webgpu float16: requested (backend: 'webgpu')'; float32 where float16 was asked says why. */
  get backendReason(): string {
    const threads = this.network?.kernels?.threads ?? 1;
    const { macs } = this.info.complexity;
    const wanted = wantedThreads(macs, this.wasm.threads);
    const auto = autoOneThreadReason(macs, this.wasm.threads);
    const label = backendLabel(
      this.active.name,
      this.active.wasm,
      threads,
      wanted,
      auto,
      splitLossNote(this.splitGauge),
    );
    const precision = this.precision;
    const asked = this.wasm.precision ?? 'float32';
    const why = resolvePrecision(asked, this.active.name, precision === 'float16').reason;
    const half = precision === 'float16' ? ' float16' : '';
    return `${label}${half}: ${this.reason}${why === null ? '' : `; float32: ${why}`}`;
  }

  get inputSize(): number {
    return this.info.preprocessing.inputSize;
  }

  classify(source: ImageSource, options?: ClassifyOptions): Promise<Classification[]> {
    let selection: ClassSelection;
    try {
      selection = checkClassifyOptions(options, this.info.labels);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.call(
      'classify',
      source,
      'logits',
      (logits) => selectClasses(logits, this.info.labels, selection),
      selection.regionOfInterest,
    );
  }

  predict(source: ImageSource): Promise<Float32Array> {
    return this.call('predict', source, 'logits', (logits) => logits);
  }

  embed(source: ImageSource): Promise<Float32Array> {
    return this.call('embed', source, 'features', (features) => features);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // A running call still needs the weights: it frees them when it ends.
    if (!this.busy) this.free();
  }

  private free(): void {
    this.network?.dispose();
    this.network = null;
    this.build.release?.();
  }

  private call<T>(
    what: string,
    source: unknown,
    output: 'logits' | 'features',
    finish: (values: Float32Array) => T,
    region: RegionOfInterest | null = null,
  ): Promise<T> {
    return this.queue.run(async () => {
      if (this.disposed) throw new Error(`${what}: the model '${this.id}' was disposed`);
      this.busy = true;
      try {
        const prepared = await prepareSource(source).catch((err: unknown) => {
          throw prefixed(what, err);
        });
        try {
          return finish(
            await this.infer(prepared, output, region).catch((err: unknown) => {
              // Pixels are read when the call runs: a source that cannot give them is the
              // caller's, named as prepareSource names them.
              throw err instanceof SourceReadError ? prefixed(what, err) : err;
            }),
          );
        } finally {
          releaseSource(prepared);
        }
      } finally {
        this.busy = false;
        if (this.disposed) this.free();
      }
    });
  }

  private async infer(
    prepared: PreparedSource,
    output: 'logits' | 'features',
    region: RegionOfInterest | null,
  ): Promise<Float32Array> {
    const lost = backendLost(this.active.name, this.active.device);
    if (lost !== null) await this.moveOn(lost);
    else if (this.network === null) await this.moveOn('rebuilt after a failed fallback');
    try {
      return await this.forward(prepared, output, region);
    } catch (err) {
      // A failed call is the device's loss only if the loss is reported (after this task).
      await nextTask();
      const lostNow = backendLost(this.active.name, this.active.device);
      if (lostNow === null) throw err;
      await this.moveOn(lostNow);
      return this.forward(prepared, output, region);
    }
  }

  private async forward(
    prepared: PreparedSource,
    output: 'logits' | 'features',
    region: RegionOfInterest | null,
  ): Promise<Float32Array> {
    const network = this.network;
    if (network === null) throw new Error(`the model '${this.id}' has no network`);
    const preprocessing = this.info.preprocessing;
    const gauge = this.splitGauge;
    const split = gauge?.splits() ?? true;
    // The network's kernel threads spin up while the input is prepared.
    if (split && (network.kernels?.threads ?? 1) > 1) wakeWasmKernelPool();
    const readable = await readableInput(prepared, network.kernels);
    const result = await runOn(this.active.name, () => {
      // The kernels run inside this synchronous block: no other model's calls between.
      if (gauge !== null) setWasmKernelSplitting(split);
      const start = performance.now();
      try {
        return tf.tidy(() => {
          const input = networkInput(readable, preprocessing, network.kernels, region);
          return output === 'logits' ? network.logits(input) : network.forward(input).features;
        });
      } finally {
        gauge?.record(performance.now() - start);
        if (gauge !== null) setWasmKernelSplitting(true);
      }
    });
    try {
      return (await result.data()) as Float32Array;
    } finally {
      result.dispose();
    }
  }

  /**
   * The model's backend is gone (`why`): frees what is left of its network and starts the
   * rest of its plan (policy.ts `afterLoss`), as `load` started the plan.
   */
  private async moveOn(why: string): Promise<void> {
    try {
      this.network?.dispose();
    } catch {
      // The device is gone; tfjs may fail to release its buffers. Nothing else holds them.
    }
    this.network = null;
    const plan = afterLoss(this.plan, this.at, why);
    const started = await startFirst(plan, this.build, this.wasm);
    this.plan = plan;
    this.at = started.at;
    this.active = started.active;
    this.reason = started.reason;
    this.network = started.bound.network;
    this.splitGauge = networkSplitGauge(this.network.kernels);
    this.settle();
  }
}
