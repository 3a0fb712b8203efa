/**
 * `selectBackend`: resolves the `backend` option to a backend and a reason, without
 * loading a model or initializing tfjs. `load` starts from the same answer.
 */
import type { BackendFacts, BackendName, BackendOption } from './policy';
import { decideBackend } from './policy';
import { probeFacts } from './probe';

export interface BackendChoice {
  backend: BackendName;
  /** Why, in a short sentence (a model's `backendReason` prefixes the running backend's label). */
  reason: string;
  /** The policy rule that decided, or 'requested' when the option named a backend. */
  rule: string;
  /** What the probe found; present for 'auto'. */
  facts?: BackendFacts;
}

const backendOptions: readonly BackendOption[] = ['auto', 'webgpu', 'wasm', 'cpu'];

export function checkBackendOption(value: unknown): BackendOption {
  if (backendOptions.includes(value as BackendOption)) return value as BackendOption;
  throw new Error(
    `backend: expected ${backendOptions.map((b) => `'${b}'`).join(', ')}, got ${JSON.stringify(value)}`,
  );
}

/** Resolves a `backend` option with the given probe (tests pass facts of their own). */
export async function chooseBackend(
  option: BackendOption | undefined,
  probe: () => Promise<BackendFacts>,
): Promise<BackendChoice> {
  const backend = checkBackendOption(option ?? 'auto');
  if (backend !== 'auto') {
    return { backend, reason: `requested (backend: '${backend}')`, rule: 'requested' };
  }
  const facts = await probe();
  const decision = decideBackend(facts);
  return { backend: decision.backend, reason: decision.reason, rule: decision.rule, facts };
}

/** Which backend `load` would use with these options, and why. Loads nothing. */
export function selectBackend(options: { backend?: BackendOption } = {}): Promise<BackendChoice> {
  return chooseBackend(options.backend, probeFacts);
}
