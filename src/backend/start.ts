/**
 * Starting a model on a backend: setup, binding its weights, a first (warm-up) inference.
 * A plan (policy.ts) lists the backends to try; `startFirst` starts the first that starts,
 * each failure becoming the next one's reason. `load` starts a plan, and a model whose
 * backend is lost starts the rest of it (policy.ts `afterLoss`): one mechanism for both.
 */
import type { Network } from '../models/network';
import { tf } from '../tf';
import type { ActiveBackend, WasmSetup } from './activate';
import { activateBackend, backendLost, mayBeLost, runOn } from './activate';
import type { BackendName, BackendPlan } from './policy';
import { alternatives, fellBackReason } from './policy';

/** What binding a model onto the active backend gives: its network, and the labels it must match. */
export interface Bound {
  network: Network;
  info: { labels: readonly string[] };
}

/** Binds a model onto the backend that is active when called (weights onto it). */
export type Binder<B extends Bound> = () => Promise<B>;

export interface StartOptions extends WasmSetup {
  signal?: AbortSignal;
}

/** A model started on a backend of its plan. */
export interface Started<B extends Bound> {
  active: ActiveBackend;
  bound: B;
  /** The plan's reason, or the failure that led to this backend. */
  reason: string;
  /** Which backend of the plan's order started. */
  at: number;
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The last backend of a plan failed: its error, with what to load instead where there is an alternative. */
function withAlternatives(name: BackendName, err: unknown): unknown {
  const instead = alternatives[name];
  return instead === undefined ? err : new Error(`${message(err)}. ${instead}`, { cause: err });
}

/** One inference on a zero image: compiles WebGPU pipelines and checks the output width. */
async function warmUp(name: BackendName, network: Network, classes: number): Promise<void> {
  const size = network.spec.inputSize;
  const logits = await runOn(name, () =>
    tf.tidy(() => network.logits(tf.zeros([1, size, size, 3]))),
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

/** Lets a device-lost notification that raced a failed step arrive before it is checked. */
export const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Why backend `active` is gone, if it was lost (a WebGPU device lost while loading). */
async function lostWhileStarting(active: ActiveBackend): Promise<string | null> {
  if (!mayBeLost(active.name)) return null;
  await nextTask();
  return backendLost(active.name, active.device);
}

/**
 * Runs one step of starting a backend; a failure says which step (the fallback reason),
 * and that the device was lost when it was (the step's own error is then only a symptom).
 * `on`: the backend the step runs on, once its setup has given one.
 */
async function step<T>(
  what: string,
  run: () => Promise<T>,
  signal: AbortSignal | undefined,
  on?: ActiveBackend,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    signal?.throwIfAborted();
    const lost = on === undefined ? null : await lostWhileStarting(on);
    throw new Error(`${what} failed: ${lost ?? message(err)}`, { cause: err });
  }
}

/** Setup, binding, warm-up on one backend; nothing is left behind if a step fails. */
export async function startOn<B extends Bound>(
  name: BackendName,
  bind: Binder<B>,
  options: StartOptions,
): Promise<{ active: ActiveBackend; bound: B }> {
  const { signal } = options;
  const active = await step(`${name} setup`, () => activateBackend(name, options), signal);
  signal?.throwIfAborted();
  const bound = await step(
    `building the network on ${name}`,
    () => runOn(name, bind),
    signal,
    active,
  );
  try {
    signal?.throwIfAborted();
    const classes = bound.info.labels.length;
    await step(
      `the first inference on ${name}`,
      () => warmUp(name, bound.network, classes),
      signal,
      active,
    );
    const lost = await lostWhileStarting(active);
    if (lost !== null) throw new Error(`${name}: ${lost} while the model loaded`);
    return { active, bound };
  } catch (err) {
    bound.network.dispose();
    throw err;
  }
}

/**
 * Starts the first backend of `plan` that starts. A failure moves on to the next backend,
 * which then gives the failure as its reason; the last backend's failure is thrown.
 */
export async function startFirst<B extends Bound>(
  plan: BackendPlan,
  bind: Binder<B>,
  options: StartOptions,
): Promise<Started<B>> {
  let reason = plan.reason;
  for (const [at, name] of plan.order.entries()) {
    try {
      return { ...(await startOn(name, bind, options)), reason, at };
    } catch (err) {
      options.signal?.throwIfAborted();
      if (at === plan.order.length - 1) throw withAlternatives(name, err);
      reason = fellBackReason(name, message(err));
    }
  }
  throw new Error(`no backend to start (the plan is empty: ${plan.reason})`);
}
