/**
 * `load(id, { worker: true })`: the model runs in a dedicated module worker
 * (dist/webnets-worker.js, src/worker.ts) behind the same Model interface, so inference
 * never blocks the page's thread.
 *
 * - Calls queue here, on the page, and go to the worker one at a time: they keep their order,
 *   and a canvas or video is read when its call's turn comes, as on the main thread.
 * - Sources cross as copies or new handles (wire.ts): the caller's objects stay usable.
 * - A worker that ends (terminate(), out of memory, an uncaught error, a script that failed
 *   to load) rejects the call in flight and every later one at once, and `backendReason`
 *   says the model is unusable. An end with no event (terminated, out of memory) is seen
 *   through a Web Lock the worker holds for its lifetime.
 * - `dispose()` terminates the worker (after the call in flight, as on the main thread),
 *   which frees everything it held.
 */
import type { Precision } from '../../backend/precision';
import type { LoadOptions } from '../load';
import type { Classification, ClassifyOptions, Model, ModelInfo } from '../model';
import { checkClassifyOptions, plainClassifyOptions } from '../classify-options';
import { SerialQueue } from '../queue';
import type { ImageSource } from '../source';
import { checkSource } from '../source';
import type {
  CallMethod,
  CallResult,
  LoadedModel,
  ModelState,
  Reply,
  Request,
  WireLoadOptions,
} from './protocol';
import { fromWireError } from './protocol';
import type { OutgoingSource } from './wire';
import { toWire } from './wire';

/** The page's side of the channel: a Worker, or a MessagePort pair in tests. */
export interface WorkerLike {
  postMessage(message: Request, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<Reply>) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate(): void;
}

interface LockManagerLike {
  request(name: string, options: { signal: AbortSignal }, callback: () => void): Promise<void>;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function locks(): LockManagerLike | undefined {
  return (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
}

/** webnets' own localStorage entries (calibration records), which the worker cannot read. */
const storagePrefix = 'webnets.';

function pageStorage(): Storage | undefined {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage;
  } catch {
    return undefined; // access can throw (opaque origins, blocked storage)
  }
}

function webnetsEntries(): Record<string, string> {
  const entries: Record<string, string> = {};
  const storage = pageStorage();
  try {
    for (let i = 0; storage && i < storage.length; i++) {
      const key = storage.key(i);
      const value = key?.startsWith(storagePrefix) ? storage.getItem(key) : null;
      if (key && value !== null) entries[key] = value;
    }
  } catch {
    // Unreadable storage: the worker calibrates afresh.
  }
  return entries;
}

function storeEntry(key: string, value: string): void {
  if (!key.startsWith(storagePrefix)) return;
  try {
    pageStorage()?.setItem(key, value);
  } catch {
    // Quota or blocked storage: remembered in the worker for its lifetime only.
  }
}

/** What an error event on the Worker says about how it ended. */
export function describeWorkerError(event: Event, started: boolean): string {
  const message = (event as ErrorEvent).message;
  if (typeof message === 'string' && message !== '') {
    return `the model's worker failed with an uncaught error (${message})`;
  }
  return started
    ? "the model's worker failed (an error event without a message)"
    : 'the worker script webnets-worker.js could not be loaded (a 404, a wrong MIME type, a network or syntax error): serve it next to webnets.js (`npm run build` writes dist/webnets-worker.js), or bundle webnets with your app so the bundler emits it';
}

const ended = "the model's worker ended (terminated, closed, or out of memory)";

type Pending = { resolve: (reply: Reply) => void; reject: (err: Error) => void; what: string };

/** One worker, one request at a time; knows when the worker is gone and why. */
export class Connection {
  private pending: Pending | null = null;
  private stoppedBecause: string | null = null;
  private started = false;
  private readonly watch = new AbortController();
  onProgress: LoadOptions['onProgress'];

  constructor(
    private readonly worker: WorkerLike,
    private readonly lock: string | null,
  ) {
    worker.addEventListener('message', ({ data }) => this.receive(data));
    worker.addEventListener('error', (event) => {
      // Handled here: the calls reject with it, so it is not the page's uncaught error too.
      event.preventDefault();
      this.stop(describeWorkerError(event, this.started));
    });
    worker.addEventListener('messageerror', () =>
      this.stop("a message from the model's worker could not be read (messageerror)"),
    );
  }

  /** Why the worker is gone, or null while it serves. */
  get stopped(): string | null {
    return this.stoppedBecause;
  }

  /** Sends `message` and resolves with the worker's answer; `what` prefixes a failure. */
  request(message: Request, transfer: Transferable[], what: string): Promise<Reply> {
    if (this.stoppedBecause !== null) {
      return Promise.reject(new Error(`${what}: ${this.stoppedBecause}`));
    }
    if (this.pending !== null) {
      return Promise.reject(new Error(`${what}: a request to the worker is already in flight`));
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, what };
      try {
        this.worker.postMessage(message, transfer);
      } catch (err) {
        this.pending = null;
        reject(
          new Error(`${what}: could not send to the worker (${messageOf(err)})`, { cause: err }),
        );
      }
    });
  }

  /** Asks the worker to abort the load in flight (its answer settles that request). */
  abortLoad(reason: unknown): void {
    try {
      this.worker.postMessage({ type: 'abort', reason }, []);
    } catch {
      this.worker.postMessage({ type: 'abort', reason: undefined }, []); // a reason that does not clone
    }
  }

  /** The worker is gone (or disposed): the request in flight fails with why. */
  stop(why: string): void {
    if (this.stoppedBecause !== null) return;
    this.stoppedBecause = why;
    this.watch.abort();
    this.worker.terminate();
    const pending = this.pending;
    this.pending = null;
    pending?.reject(new Error(`${pending.what}: ${why}`));
  }

  private receive(reply: Reply): void {
    switch (reply.type) {
      case 'started':
        this.started = true;
        if (reply.locked) this.watchLock();
        return;
      case 'progress':
        this.onProgress?.(reply.progress);
        return;
      case 'storage':
        storeEntry(reply.key, reply.value);
        return;
      default: {
        const pending = this.pending;
        this.pending = null;
        pending?.resolve(reply);
      }
    }
  }

  /** Granted only once the worker no longer holds its lock: it has ended. */
  private watchLock(): void {
    const manager = locks();
    if (this.lock === null || manager === undefined) return;
    manager
      .request(this.lock, { signal: this.watch.signal }, () => this.stop(ended))
      .catch(() => undefined); // aborted by stop(): nothing to watch any more
  }
}

export class WorkerModel implements Model {
  private readonly queue = new SerialQueue();
  private state: ModelState;
  /** The buffer the last call's source went in, back from the worker: the next one's. */
  private spare: ArrayBuffer | null = null;
  private disposed = false;
  private busy = false;

  readonly id: string;
  readonly inputSize: number;
  readonly info: ModelInfo;

  constructor(
    loaded: LoadedModel,
    private readonly connection: Connection,
  ) {
    this.id = loaded.id;
    this.inputSize = loaded.inputSize;
    this.info = loaded.info;
    const { backend, backendReason, precision } = loaded;
    this.state = { backend, backendReason, ...(precision ? { precision } : {}) };
  }

  get backend(): Model['backend'] {
    return this.state.backend;
  }

  get precision(): Precision {
    return this.state.precision ?? 'float32';
  }

  get backendReason(): string {
    const stopped = this.disposed ? null : this.connection.stopped;
    return stopped === null ? this.state.backendReason : `unusable: ${stopped}`;
  }

  classify(source: ImageSource, options?: ClassifyOptions): Promise<Classification[]> {
    // Checked here, as on the page's thread: a bad option fails at once, with the same message.
    let plain: ClassifyOptions;
    try {
      plain = plainClassifyOptions(options, checkClassifyOptions(options, this.info.labels));
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.call('classify', source, plain) as Promise<Classification[]>;
  }

  predict(source: ImageSource): Promise<Float32Array> {
    return this.call('predict', source) as Promise<Float32Array>;
  }

  embed(source: ImageSource): Promise<Float32Array> {
    return this.call('embed', source) as Promise<Float32Array>;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // The call in flight still gets its answer; the worker goes when it has.
    if (!this.busy) this.connection.stop(`the model '${this.id}' was disposed`);
  }

  /** Once the worker is gone, every call fails at once, saying why. */
  private throwIfStopped(method: string): void {
    const stopped = this.connection.stopped;
    if (stopped !== null) {
      throw new Error(`${method}: ${stopped}; the model is unusable: load it again`);
    }
  }

  private call(
    method: CallMethod,
    source: unknown,
    options?: ClassifyOptions,
  ): Promise<CallResult> {
    return this.queue.run(async () => {
      if (this.disposed) throw new Error(`${method}: the model '${this.id}' was disposed`);
      this.throwIfStopped(method);
      this.busy = true;
      try {
        let outgoing: OutgoingSource;
        try {
          outgoing = await toWire(checkSource(source), this.spare);
          if (outgoing.transfer.includes(this.spare as ArrayBuffer)) this.spare = null;
        } catch (err) {
          throw new Error(`${method}: ${messageOf(err)}`, { cause: err });
        }
        const request: Request = {
          type: 'call',
          method,
          source: outgoing.wire,
          ...(options === undefined ? {} : { options }),
        };
        const reply = await this.connection
          .request(request, outgoing.transfer, method)
          .catch((err: unknown) => {
            outgoing.discard();
            this.throwIfStopped(method);
            throw err;
          });
        if ((reply.type === 'result' || reply.type === 'failed') && reply.buffer) {
          this.spare = reply.buffer;
        }
        if (reply.type === 'result') {
          this.state = reply.state;
          return reply.value;
        }
        if (reply.type === 'failed') {
          if (reply.state) this.state = reply.state;
          throw fromWireError(reply.error);
        }
        throw new Error(`${method}: the worker answered '${reply.type}'`);
      } finally {
        this.busy = false;
        if (this.disposed) this.connection.stop(`the model '${this.id}' was disposed`);
      }
    });
  }
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Whether `new Worker(url, { type: 'module' })` is understood (the options' type is read). */
function moduleWorkersSupported(): boolean {
  let typeRead = false;
  const options = {
    get type(): WorkerType {
      typeRead = true;
      return 'module';
    },
  };
  try {
    // An invalid URL: the constructor reads the options, then throws; no worker starts.
    new Worker('blob://', options).terminate();
  } catch {
    // Expected.
  }
  return typeRead;
}

/** Throws, saying what is missing and what to do, where module workers cannot run. */
export function checkModuleWorkers(what: string): void {
  if (typeof globalThis.Worker !== 'function') {
    throw new Error(
      `${what}: worker mode needs Web Workers, and globalThis.Worker is ${typeof globalThis.Worker}${isNode() ? ' (this is Node)' : ''}: load without worker: true to run the model on this thread`,
    );
  }
  if (!moduleWorkersSupported()) {
    throw new Error(
      `${what}: this browser cannot start module workers (new Worker(url, { type: 'module' })): load without worker: true to run the model on this thread, or use a current browser`,
    );
  }
}

/**
 * The worker, started from the script next to this module. The expression below is the
 * form Vite, webpack 5 and Parcel follow to bundle a worker with an app: a `new Worker` of a
 * `new URL` of a string literal and `import.meta.url`, type 'module', all written out (not
 * quoted here, where Vite would take it for code). `@vite-ignore` keeps webnets' own build
 * from bundling the worker into webnets.js; vite.config.ts removes the comment from
 * dist/webnets.js and checks the form is there.
 */
function startWorker(what: string): Worker {
  try {
    return new Worker(new URL(/* @vite-ignore */ './webnets-worker.js', import.meta.url), {
      type: 'module',
    });
  } catch (err) {
    throw new Error(
      `${what}: the browser refused to start the worker script webnets-worker.js (${messageOf(err)}): pages may start workers of their own origin only, so serve webnets.js and webnets-worker.js from the page's origin, or bundle webnets with your app`,
      { cause: err },
    );
  }
}

function lockName(): string {
  const random =
    typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : `${Date.now()}-${Math.random()}`;
  return `webnets-worker:${random}`;
}

/** A URL as the page means it: the worker would resolve a relative one against its script. */
function fromPage(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(url, base).href;
  } catch {
    return url; // not a URL: the worker's load reports it as the page's would
  }
}

/** The options the worker's `load` gets: the plain ones, URLs made absolute. */
export function wireLoadOptions(options: LoadOptions): WireLoadOptions {
  const { backend, weightsUrl, synthetic, cache, calibrate, verifyWebGPU, threads } = options;
  const { stallTimeout, wasmPaths } = options;
  const { pretrained, baseUrl, checkpoints, dtype, precision } = options;
  const wire: WireLoadOptions = {
    backend,
    synthetic,
    cache,
    calibrate,
    verifyWebGPU,
    threads,
    stallTimeout,
    pretrained,
    dtype,
    precision,
  };
  if (typeof weightsUrl === 'string') wire.weightsUrl = fromPage(weightsUrl);
  if (typeof baseUrl === 'string') wire.baseUrl = fromPage(baseUrl);
  if (checkpoints !== undefined) {
    wire.checkpoints = Object.fromEntries(
      Object.entries(checkpoints).map(([id, own]) => [
        id,
        typeof own?.url === 'string' ? { ...own, url: fromPage(own.url) } : own,
      ]),
    );
  }
  if (typeof wasmPaths === 'string') wire.wasmPaths = fromPage(wasmPaths);
  else if (wasmPaths !== undefined) {
    wire.wasmPaths = Object.fromEntries(
      Object.entries(wasmPaths).map(([name, url]) => [name, fromPage(url)]),
    );
  }
  for (const key of Object.keys(wire) as (keyof WireLoadOptions)[]) {
    if (wire[key] === undefined) delete wire[key];
  }
  return wire;
}

/**
 * Loads the model in a new worker over `worker` (tests pass a MessagePort pair) and
 * returns the page's side of it. Rejects as `load` does; on any failure the worker is ended.
 */
export async function connectModel(
  id: string,
  options: LoadOptions,
  worker: WorkerLike,
  lock: string | null,
): Promise<Model> {
  const what = `load('${id}', { worker: true })`;
  const connection = new Connection(worker, lock);
  connection.onProgress = options.onProgress;
  const { signal } = options;
  const abort = (): void => connection.abortLoad(signal?.reason);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const reply = await connection.request(
      {
        type: 'load',
        id,
        options: wireLoadOptions(options),
        progress: options.onProgress !== undefined,
        lock,
        storage: webnetsEntries(),
      },
      [],
      what,
    );
    if (reply.type === 'failed') throw fromWireError(reply.error);
    if (reply.type !== 'loaded') throw new Error(`${what}: the worker answered '${reply.type}'`);
    connection.onProgress = undefined;
    return new WorkerModel(reply.model, connection);
  } catch (err) {
    connection.stop(`${what} failed`);
    throw err;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/** `load(id, { ...options, worker: true })`, once load.ts has checked the options. */
export function loadInWorker(id: string, options: LoadOptions): Promise<Model> {
  const what = `load('${id}', { worker: true })`;
  try {
    checkModuleWorkers(what);
    options.signal?.throwIfAborted();
    const worker = startWorker(what);
    return connectModel(id, options, worker, locks() ? lockName() : null);
  } catch (err) {
    return Promise.reject(err);
  }
}
