/**
 * The model inside its worker: answers the page's requests (protocol.ts) with a model
 * from the ordinary `load`, one request at a time. Everything the main-thread runtime does
 * happens here unchanged: backend choice and fallback, threads, the pack cache, preprocessing.
 */
import type { Model } from '../model';
import type { CallResult, ModelState, Reply, Request, WireLoadOptions } from './protocol';
import { toWireError } from './protocol';
import { fromWire } from './wire';

/** The worker's side of the channel: its global scope, or a MessagePort in tests. */
export interface ServerEndpoint {
  postMessage(message: Reply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<Request>) => void): void;
}

/** What the server needs from the runtime: `load` (injected, so load.ts can import the client). */
export type LoadModel = (
  id: string,
  options: WireLoadOptions & {
    onProgress?: (progress: { loaded: number; total: number }) => void;
    signal?: AbortSignal;
  },
) => Promise<Model>;

/** Where the worker's webnets.* localStorage entries live: the page's copy, kept in step. */
function pageStorage(
  entries: Record<string, string>,
  send: (key: string, value: string) => void,
): Pick<Storage, 'getItem' | 'setItem'> {
  const values = new Map(Object.entries(entries));
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => {
      values.set(key, String(value));
      send(key, String(value));
    },
  };
}

interface LockManagerLike {
  request(name: string, callback: () => Promise<void>): Promise<void>;
}

/**
 * Holds the Web Lock `name` until the worker ends: the browser releases a worker's locks
 * however it ends (terminate(), close(), a crash, out of memory), and the page's request for
 * the same lock is then granted, which is how it learns (client.ts). `started` says whether
 * the lock is held, so the page never watches a lock nobody holds.
 */
function holdLock(name: string | null, started: (locked: boolean) => void): void {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  if (name === null || locks === undefined) {
    started(false);
    return;
  }
  locks
    .request(name, () => {
      started(true);
      return new Promise<void>(() => undefined);
    })
    .catch(() => started(false));
}

function stateOf(model: Model): ModelState {
  return { backend: model.backend, backendReason: model.backendReason, precision: model.precision };
}

/**
 * Serves one model on `endpoint`. A worker has no localStorage: the page sends its
 * calibration records with `load`, and records made here go back to the page
 * (`storage` messages), so `calibrate` is remembered across page loads as on the page.
 */
export function serveModel(endpoint: ServerEndpoint, loadModel: LoadModel): void {
  let model: Model | null = null;
  let loading: AbortController | null = null;
  const post = (reply: Reply, transfer: Transferable[] = []): void =>
    endpoint.postMessage(reply, transfer);

  async function load(request: Extract<Request, { type: 'load' }>): Promise<void> {
    const scope = globalThis as { localStorage?: unknown };
    if (scope.localStorage === undefined) {
      scope.localStorage = pageStorage(request.storage, (key, value) =>
        post({ type: 'storage', key, value }),
      );
    }
    holdLock(request.lock, (locked) => post({ type: 'started', locked }));
    loading = new AbortController();
    try {
      model = await loadModel(request.id, {
        ...request.options,
        signal: loading.signal,
        ...(request.progress
          ? { onProgress: (progress) => post({ type: 'progress', progress }) }
          : {}),
      });
      const { id, inputSize, info } = model;
      post({ type: 'loaded', model: { id, inputSize, info, ...stateOf(model) } });
    } finally {
      loading = null;
    }
  }

  async function call(request: Extract<Request, { type: 'call' }>): Promise<void> {
    const { source, release, buffer } = fromWire(request.source);
    const returned = buffer === null ? {} : { buffer };
    const back = buffer === null ? [] : [buffer];
    let value: CallResult;
    try {
      if (model === null) throw new Error(`${request.method}: no model was loaded in this worker`);
      value =
        request.method === 'classify'
          ? await model.classify(source, request.options)
          : await model[request.method](source);
    } catch (err) {
      release();
      const state = model === null ? {} : { state: stateOf(model) };
      post({ type: 'failed', error: toWireError(err), ...state, ...returned }, back);
      return;
    }
    // Freed before the buffer goes back: a tensor on the cpu backend still reads it.
    release();
    const transfer = value instanceof Float32Array ? [value.buffer, ...back] : back;
    post({ type: 'result', value, state: stateOf(model), ...returned }, transfer);
  }

  endpoint.addEventListener('message', ({ data: request }) => {
    if (request.type === 'abort') {
      loading?.abort(request.reason);
      return;
    }
    const handled = request.type === 'load' ? load(request) : call(request);
    handled.catch((err: unknown) => {
      post({
        type: 'failed',
        error: toWireError(err),
        ...(model === null ? {} : { state: stateOf(model) }),
      });
    });
  });
}
