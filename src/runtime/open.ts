/**
 * Putting a network on the right backend: the policy's plan (or calibration's), started by
 * backend/start.ts — setup, weights, a first (warm-up) inference, moving on to the plan's
 * next backend when one fails — then wrapped as a Model. `load` (load.ts) supplies the
 * network builder; tests supply tiny networks of their own.
 */
import type { WasmSetup } from '../backend/activate';
import { checkWasmSetup } from '../backend/activate';
import { calibratedStart } from '../backend/calibrate';
import type { BackendFacts, BackendOption } from '../backend/policy';
import { backendPlan } from '../backend/policy';
import { probeFacts } from '../backend/probe';
import { chooseBackend } from '../backend/select';
import { startFirst } from '../backend/start';
import type { Model, NetworkBuilder } from './model';
import { WebnetsModel } from './model';

export interface OpenOptions extends WasmSetup {
  backend?: BackendOption;
  calibrate?: boolean;
  signal?: AbortSignal;
  /** The facts 'auto' decides on (tests give their own; default: probe the page). */
  probe?: () => Promise<BackendFacts>;
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
  const facts = choice.facts;
  if (facts !== undefined && options.calibrate === true && facts.webgpu.status === 'ok') {
    const { plan, started } = await calibratedStart(id, facts, build, options);
    return new WebnetsModel(id, plan, started, build, options);
  }
  const plan = backendPlan(choice.backend, choice.reason, facts !== undefined);
  return new WebnetsModel(id, plan, await startFirst(plan, build, options), build, options);
}
