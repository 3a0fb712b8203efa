/**
 * Putting a network on the right backend: the policy's plan (or calibration's), WebGPU
 * checked on a canary network first (backend/verify.ts), started by backend/start.ts —
 * setup, weights, a first (warm-up) inference, moving on to the plan's next backend when
 * one fails — then wrapped as a Model. `load` (load.ts) supplies the
 * network builder; tests supply tiny networks of their own.
 */
import type { WasmSetup } from '../backend/activate';
import type { Precision } from '../backend/precision';
import { checkWasmSetup } from '../backend/activate';
import { calibratedStart } from '../backend/calibrate';
import type { AdapterFacts, BackendFacts, BackendOption } from '../backend/policy';
import { alternatives, backendPlan, fellBackReason } from '../backend/policy';
import { probeFacts, probeWebGpu } from '../backend/probe';
import type { BackendChoice } from '../backend/select';
import { chooseBackend } from '../backend/select';
import { startFirst } from '../backend/start';
import { checkWebGpu } from '../backend/verify';
import type { Model, NetworkBuilder } from './model';
import { WebnetsModel } from './model';

export interface OpenOptions extends WasmSetup {
  backend?: BackendOption;
  calibrate?: boolean;
  /** Run the canary check (backend/verify.ts) before WebGPU; default: under 'auto' only. */
  verifyWebGPU?: boolean;
  signal?: AbortSignal;
  /** The facts 'auto' decides on (tests give their own; default: probe the page). */
  probe?: () => Promise<BackendFacts>;
  /** The precision asked for (load.ts; the builder applies it): the model says what runs. */
  precision?: Precision;
}

/** The adapter to check before WebGPU runs a model, or null when there is no check to make. */
async function adapterToCheck(
  choice: BackendChoice,
  options: OpenOptions,
): Promise<AdapterFacts | null> {
  const auto = choice.facts !== undefined;
  if (!(options.verifyWebGPU ?? auto)) return null;
  const webgpu = auto ? choice.facts!.webgpu : null;
  const mayRunWebGpu =
    choice.backend === 'webgpu' || (options.calibrate === true && webgpu?.status === 'ok');
  if (!mayRunWebGpu) return null;
  // Asked for by name: the probe opens WebGPU to name its adapter; a failure is left to
  // starting it, which says what is missing.
  const facts = webgpu ?? (await probeWebGpu());
  return facts.status === 'ok' ? facts.adapter : null;
}

/** Chooses the backend, builds and warms up the network there, and wraps it as a Model. */
export async function openModel(
  id: string,
  build: NetworkBuilder,
  options: OpenOptions = {},
): Promise<Model> {
  checkWasmSetup(options);
  checkVerifyOption(options.verifyWebGPU);
  const choice = await chooseBackend(options.backend, options.probe ?? probeFacts);
  options.signal?.throwIfAborted();
  const facts = choice.facts;
  const auto = facts !== undefined;
  const adapter = await adapterToCheck(choice, options);
  let reason = choice.reason;
  // WebGPU that cannot start is no check's business: starting it below says what is missing.
  const check = adapter === null ? null : await checkWebGpu(adapter).catch(() => null);
  options.signal?.throwIfAborted();
  if (check !== null) {
    if (!check.passed) {
      if (!auto) throw new Error(`webgpu: ${check.reason}. ${alternatives.webgpu}`);
      const plan = backendPlan('wasm', fellBackReason('webgpu', check.reason), true);
      return new WebnetsModel(id, plan, await startFirst(plan, build, options), build, options);
    }
    reason = `${reason}; ${check.reason}`;
  }
  if (auto && options.calibrate === true && facts.webgpu.status === 'ok') {
    const { plan, started } = await calibratedStart(id, facts, build, options);
    return new WebnetsModel(id, plan, started, build, options);
  }
  const plan = backendPlan(choice.backend, reason, auto);
  return new WebnetsModel(id, plan, await startFirst(plan, build, options), build, options);
}

function checkVerifyOption(value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new Error(`verifyWebGPU: expected true or false, got ${JSON.stringify(value)}`);
  }
}
