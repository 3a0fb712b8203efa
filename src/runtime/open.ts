/**
 * Putting a network on the right backend: the policy's choice, then setup, weights and a
 * first (warm-up) inference; under 'auto', WebGPU failing at any of those steps falls
 * back to WASM with the failure in the reason. `calibrate: true` measures instead of
 * trusting the rules. `load` (load.ts) supplies the network builder; tests supply tiny
 * networks of their own.
 */
import type { Network } from '../models/network';
import type { WasmSetup } from './activate';
import { activateBackend, beforeForward, checkWasmSetup, runOn } from './activate';
import type { BackendFacts, BackendName, BackendOption } from './backend';
import type { CalibrationRecord } from './calibrate';
import {
  calibrationKey,
  describeCalibration,
  medianMs,
  recallCalibration,
  rememberCalibration,
} from './calibrate';
import type { Model, NetworkBuilder, Running } from './model';
import { fellBackReason, WebnetsModel } from './model';
import { probeFacts } from './probe';
import { chooseBackend } from './select';
import { tf } from '../tf';

export interface OpenOptions extends WasmSetup {
  backend?: BackendOption;
  calibrate?: boolean;
  signal?: AbortSignal;
  /** The facts 'auto' decides on (tests give their own; default: probe the page). */
  probe?: () => Promise<BackendFacts>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One inference on a zero image: compiles WebGPU pipelines and checks the output width. */
async function warmUp(name: BackendName, network: Network, classes: number): Promise<void> {
  const size = network.spec.inputSize;
  const logits = await runOn(name, () =>
    tf.tidy(() => network.forward(tf.zeros([1, size, size, 3])).logits),
  );
  try {
    const values = await logits.data();
    if (logits.shape[1] !== classes) {
      throw new Error(
        `the network gives ${logits.shape[1]} logits but its label set has ${classes} names`,
      );
    }
    if (!values.every(Number.isFinite))
      throw new Error('the first inference gave non-finite logits');
  } finally {
    logits.dispose();
  }
}

/** Runs one step of starting a backend; a failure says which step (the fallback reason). */
async function step<T>(what: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await run();
  } catch (err) {
    signal?.throwIfAborted();
    throw new Error(`${what} failed: ${message(err)}`, { cause: err });
  }
}

/** Setup, weights, warm-up on one backend; nothing is left behind if a step fails. */
async function startOn(
  name: BackendName,
  build: NetworkBuilder,
  options: OpenOptions,
): Promise<Omit<Running, 'reason'>> {
  const { signal } = options;
  const active = await step(`${name} setup`, () => activateBackend(name, options), signal);
  signal?.throwIfAborted();
  const { network, info } = await step(
    `building the network on ${name}`,
    () => runOn(name, build),
    signal,
  );
  try {
    signal?.throwIfAborted();
    const classes = info.labels.length;
    await step(`the first inference on ${name}`, () => warmUp(name, network, classes), signal);
    return { active, network, info };
  } catch (err) {
    network.dispose();
    throw err;
  }
}

async function calibrated(
  modelId: string,
  facts: BackendFacts,
  build: NetworkBuilder,
  options: OpenOptions,
): Promise<Running> {
  const key = calibrationKey(modelId, facts, options.threads);
  const known = recallCalibration(key);
  if (known !== null) {
    const running = await startOn(known.backend, build, options);
    return { ...running, reason: describeCalibration(known, true) };
  }
  const ms = { webgpu: Infinity, wasm: Infinity };
  let best: Omit<Running, 'reason'> | null = null;
  for (const name of ['wasm', 'webgpu'] as const) {
    let candidate: Omit<Running, 'reason'>;
    try {
      candidate = await startOn(name, build, options);
    } catch (err) {
      options.signal?.throwIfAborted();
      if (name === 'wasm') throw err; // nothing to fall back to
      continue;
    }
    const size = candidate.network.spec.inputSize;
    // Timed as the model will run: its kernels on the threads it will use.
    beforeForward(name, candidate.info.complexity.macs, options.threads);
    ms[name] = await medianMs(async () => {
      const logits = await runOn(name, () =>
        tf.tidy(() => candidate.network.forward(tf.zeros([1, size, size, 3])).logits),
      );
      await logits.data();
      logits.dispose();
    });
    if (best === null || ms[name] < ms[best.active.name as 'wasm' | 'webgpu']) {
      best?.network.dispose();
      best = candidate;
    } else {
      candidate.network.dispose();
    }
  }
  if (best === null) throw new Error('calibration: no backend could run the model');
  const record: CalibrationRecord = {
    backend: best.active.name as 'wasm' | 'webgpu',
    ms,
    at: new Date().toISOString(),
  };
  rememberCalibration(key, record);
  return { ...best, reason: describeCalibration(record, false) };
}

/** Chooses the backend, builds and warms up the network there, and wraps it as a Model. */
export async function openModel(
  id: string,
  build: NetworkBuilder,
  options: OpenOptions = {},
): Promise<Model> {
  checkWasmSetup(options);
  const choice = await chooseBackend(options.backend, options.probe ?? probeFacts);
  options.signal?.throwIfAborted();
  const auto = choice.facts !== undefined;
  let running: Running;
  if (auto && options.calibrate === true && choice.facts?.webgpu.status === 'ok') {
    running = await calibrated(id, choice.facts, build, options);
  } else {
    try {
      running = {
        ...(await startOn(choice.backend, build, options)),
        reason: choice.reason,
      };
    } catch (err) {
      if (!auto || choice.backend !== 'webgpu') throw err;
      running = {
        ...(await startOn('wasm', build, options)),
        reason: fellBackReason(message(err)),
      };
    }
  }
  return new WebnetsModel(id, running, build, options);
}
