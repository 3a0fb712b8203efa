/**
 * Worker mode's pure parts in Node: errors and options as they cross, the page's side of
 * the protocol against a scripted worker (order, one request at a time, state, death,
 * dispose, abort, calibration storage), and the real server behind a MessageChannel, which
 * must answer as the main-thread model does. Node has no Worker, so `load(…, { worker: true })`
 * itself must say so. The browser side (sources, real workers) is e2e/worker.spec.ts.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { load, loadOnThisThread } from '../../src/runtime/load';
import type { Model } from '../../src/runtime/model';
import { tf } from '../../src/tf';
import type { WorkerLike } from '../../src/runtime/worker/client';
import {
  connectModel,
  describeWorkerError,
  wireLoadOptions,
} from '../../src/runtime/worker/client';
import type { LoadedModel, Reply, Request } from '../../src/runtime/worker/protocol';
import { fromWireError, toWireError } from '../../src/runtime/worker/protocol';
import type { ServerEndpoint } from '../../src/runtime/worker/server';
import { serveModel } from '../../src/runtime/worker/server';

beforeAll(async () => {
  await tf.setBackend('wasm');
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function image(height: number, width: number, seed: number): tf.Tensor3D {
  let s = seed;
  const values = Int32Array.from({ length: height * width * 3 }, () => {
    s = (s * 69069 + 1) % 4294967296;
    return s % 256;
  });
  return tf.tensor3d(values, [height, width, 3], 'int32');
}

describe('errors crossing', () => {
  it('keeps the message, the name and the worker stack; AbortError stays a DOMException', () => {
    const type = new TypeError('bad thing');
    const back = fromWireError(toWireError(type));
    expect(back).toBeInstanceOf(Error);
    expect([back.name, back.message, back.stack]).toEqual(['TypeError', 'bad thing', type.stack]);

    const abort = fromWireError(toWireError(new DOMException('stopped', 'AbortError')));
    expect(abort).toBeInstanceOf(DOMException);
    expect([abort.name, abort.message]).toEqual(['AbortError', 'stopped']);

    expect(fromWireError(toWireError('a string')).message).toBe('a string');
  });

  it("says how a worker ended from its error event (before it started: the script didn't load)", () => {
    const uncaught = Object.assign(new Event('error'), { message: 'Uncaught Error: boom' });
    expect(describeWorkerError(uncaught, true)).toBe(
      "the model's worker failed with an uncaught error (Uncaught Error: boom)",
    );
    expect(describeWorkerError(new Event('error'), false)).toMatch(
      /^the worker script webnets-worker\.js could not be loaded \(a 404, .*serve it next to webnets\.js/,
    );
  });
});

describe('load options crossing', () => {
  it('sends the plain options, with URLs resolved against the page (not the worker script)', () => {
    vi.stubGlobal('location', { href: 'https://example.com/app/page.html' });
    const wire = wireLoadOptions({
      weightsUrl: 'packs/b0/model.json',
      backend: 'wasm',
      threads: 2,
      cache: false,
      stallTimeout: 5000,
      wasmPaths: { 'tfjs-backend-wasm.wasm': '/w/a.wasm', other: 'https://cdn.test/b.wasm' },
      onProgress: () => undefined,
      signal: new AbortController().signal,
      worker: true,
    });
    expect(wire).toEqual({
      weightsUrl: 'https://example.com/app/packs/b0/model.json',
      backend: 'wasm',
      threads: 2,
      cache: false,
      stallTimeout: 5000,
      wasmPaths: {
        'tfjs-backend-wasm.wasm': 'https://example.com/w/a.wasm',
        other: 'https://cdn.test/b.wasm',
      },
    });
    expect(wireLoadOptions({ synthetic: 4, wasmPaths: '../wasm/' })).toEqual({
      synthetic: 4,
      wasmPaths: 'https://example.com/wasm/',
    });
    expect(structuredClone(wire)).toEqual(wire);
  });
});

describe('load(…, { worker: true }) where there are no workers (Node)', () => {
  it('rejects saying what is missing and what to do, before anything starts', async () => {
    await expect(load('fd-mobilenet-0.25x', { synthetic: true, worker: true })).rejects.toThrow(
      "load('fd-mobilenet-0.25x', { worker: true }): worker mode needs Web Workers, and globalThis.Worker is undefined (this is Node): load without worker: true to run the model on this thread",
    );
  });

  it('checks the other options first, as a load on this thread would', async () => {
    await expect(load('nope', { synthetic: true, worker: true })).rejects.toThrow(/nope/);
    await expect(load('fd-mobilenet-0.25x', { worker: true })).rejects.toThrow(/no weights/);
    await expect(
      load('fd-mobilenet-0.25x', { synthetic: true, worker: true, backend: 'gpu' as 'wasm' }),
    ).rejects.toThrow(/^backend: expected 'auto', 'webgpu', 'wasm', 'cpu', got "gpu"$/);
    await expect(
      load('fd-mobilenet-0.25x', { synthetic: true, worker: 1 as unknown as boolean }),
    ).rejects.toThrow("load('fd-mobilenet-0.25x'): worker is 1: expected true or false");
  });
});

const loaded: LoadedModel = {
  id: 'tiny',
  inputSize: 16,
  backend: 'webgpu',
  backendReason: 'webgpu: hardware WebGPU adapter (nvidia ampere)',
  info: {
    family: 'fd-mobilenet',
    complexity: { params: 1, macs: 1, activations: 1 },
    preprocessing: {
      inputSize: 16,
      resizeSize: 16,
      interpolation: 'bilinear',
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    synthetic: true,
    labelSet: 'imagenet-1k',
    labels: ['a', 'b'],
    source: { format: 'synthetic', seed: 0 },
  },
};

/** A worker whose answers the test writes: records requests, replies when told. */
class ScriptedWorker implements WorkerLike {
  readonly requests: Request[] = [];
  /** What each request transferred. */
  readonly transfers: Transferable[][] = [];
  terminated = 0;
  private readonly listeners = new Map<string, ((event: Event) => void)[]>();
  /** Called with each request; the default answers `load` at once. */
  onRequest: (request: Request) => void = (request) => {
    if (request.type === 'load') this.reply({ type: 'loaded', model: loaded });
  };

  postMessage(message: Request, transfer: Transferable[]): void {
    this.requests.push(structuredClone(message));
    this.transfers.push(transfer);
    queueMicrotask(() => this.onRequest(message));
  }

  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener as (e: Event) => void]);
  }

  terminate(): void {
    this.terminated++;
  }

  reply(reply: Reply): void {
    const event = new MessageEvent('message', { data: reply });
    for (const listener of this.listeners.get('message') ?? []) listener(event);
  }

  fail(event: Event): void {
    for (const listener of this.listeners.get('error') ?? []) listener(event);
  }

  calls(): Extract<Request, { type: 'call' }>[] {
    return this.requests.filter((r) => r.type === 'call');
  }
}

/** Resolves once `worker` has received `n` call requests. */
async function callsReceived(worker: ScriptedWorker, n: number): Promise<void> {
  await vi.waitFor(() => expect(worker.calls()).toHaveLength(n));
}

describe("the page's side of the protocol, against a scripted worker", () => {
  it('sends one call at a time, in call order, and takes each answer with its state', async () => {
    const worker = new ScriptedWorker();
    const model = await connectModel('tiny', { synthetic: true }, worker, null);
    expect([model.id, model.inputSize, model.backend, model.info.labels]).toEqual([
      'tiny',
      16,
      'webgpu',
      ['a', 'b'],
    ]);
    worker.onRequest = () => undefined;
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3], 'int32');
    const results = [model.predict(x), model.classify(x, { topK: 1 }), model.embed(x)];
    await callsReceived(worker, 1);
    // Nothing else is sent while the first call is in flight.
    await new Promise((r) => setTimeout(r, 20));
    expect(worker.calls()).toHaveLength(1);
    const first = worker.calls()[0]!;
    expect(first).toMatchObject({
      type: 'call',
      method: 'predict',
      source: { kind: 'tensor', shape: [1, 2, 3], dtype: 'int32' },
    });
    const sent = (first.source as { buffer: ArrayBuffer }).buffer;
    expect(new Int32Array(sent, 0, 6)).toEqual(new Int32Array([1, 2, 3, 4, 5, 6]));
    // The model fell back to WASM in the worker: the answer says so. It gives back a buffer,
    // which the next call's source goes in.
    const fellBack = { backend: 'wasm', backendReason: 'wasm-simd (1 thread): fell back' } as const;
    const spare = new ArrayBuffer(64);
    worker.reply({
      type: 'result',
      value: new Float32Array([1, 2]),
      state: fellBack,
      buffer: spare,
    });
    expect(await results[0]).toEqual(new Float32Array([1, 2]));
    expect([model.backend, model.backendReason]).toEqual(['wasm', fellBack.backendReason]);
    await callsReceived(worker, 2);
    expect(worker.calls()[1]).toMatchObject({ method: 'classify', options: { topK: 1 } });
    expect(worker.transfers[2]).toEqual([spare]);
    expect(worker.transfers[2]![0]).toBe(spare);
    worker.reply({
      type: 'failed',
      error: { name: 'Error', message: 'classify: topK is 1.5: expected a whole number ≥ 1' },
      state: fellBack,
    });
    await expect(results[1]).rejects.toThrow('classify: topK is 1.5: expected a whole number ≥ 1');
    await callsReceived(worker, 3);
    expect(worker.calls()[2]).toMatchObject({ method: 'embed' });
    worker.reply({ type: 'result', value: new Float32Array([3]), state: fellBack });
    expect(await results[2]).toEqual(new Float32Array([3]));
    // The caller's tensor is untouched.
    expect(x.isDisposed).toBe(false);
    x.dispose();
    model.dispose();
    expect(worker.terminated).toBe(1);
  });

  it('checks sources on the page, with the main thread messages, and sends nothing for them', async () => {
    const worker = new ScriptedWorker();
    const model = await connectModel('tiny', { synthetic: true }, worker, null);
    const rgba = tf.zeros([4, 4, 4]) as tf.Tensor3D;
    await expect(model.predict(rgba)).rejects.toThrow(
      'predict: the input tensor has shape [4, 4, 4] (rank 3): expected an HWC tensor [height, width, 3] of 0–255 RGB',
    );
    await expect(model.classify('cat.png' as unknown as tf.Tensor3D)).rejects.toThrow(
      /^classify: got string: expected an HTMLImageElement/,
    );
    expect(worker.calls()).toHaveLength(0);
    rgba.dispose();
    model.dispose();
  });

  it('checks classify options on the page, with the main thread messages, and sends them as plain data', async () => {
    const worker = new ScriptedWorker();
    const model = await connectModel('tiny', { synthetic: true }, worker, null);
    const x = tf.zeros([2, 2, 3], 'int32') as tf.Tensor3D;
    await expect(
      model.classify(x, { categoryAllowlist: ['a'], categoryDenylist: [1] }),
    ).rejects.toThrow(
      'classify: categoryAllowlist and categoryDenylist are both given: expected at most one of them',
    );
    await expect(model.classify(x, { categoryDenylist: ['a', 'zebra', 7] })).rejects.toThrow(
      'classify: categoryDenylist names unknown categories "zebra", 7: expected labels of the model\'s label set or class indices 0–1',
    );
    expect(worker.calls()).toHaveLength(0);
    worker.onRequest = (request) => {
      if (request.type === 'call') worker.reply({ type: 'result', value: [], state: loaded });
    };
    // A region with getters (as a DOMRect has) goes as its four numbers.
    const region = {
      get left() {
        return 0.25;
      },
      top: 0,
      right: 1,
      bottom: 0.5,
    };
    await model.classify(x, {
      regionOfInterest: region,
      scoreThreshold: 0.5,
      categoryAllowlist: ['b'],
    });
    expect(worker.calls()[0]!.options).toEqual({
      topK: 5,
      scoreThreshold: 0.5,
      categoryAllowlist: ['b'],
      regionOfInterest: { left: 0.25, top: 0, right: 1, bottom: 0.5 },
    });
    x.dispose();
    model.dispose();
  });

  it('a worker that fails rejects the call in flight and all later ones at once; the model says it is unusable', async () => {
    const worker = new ScriptedWorker();
    const model = await connectModel('tiny', { synthetic: true }, worker, null);
    worker.onRequest = () => undefined;
    const x = tf.zeros([2, 2, 3], 'int32') as tf.Tensor3D;
    const inFlight = model.predict(x);
    const queued = model.predict(x);
    await callsReceived(worker, 1);
    worker.fail(
      Object.assign(new Event('error'), { message: 'Uncaught RangeError: out of memory' }),
    );
    const why =
      "the model's worker failed with an uncaught error (Uncaught RangeError: out of memory)";
    await expect(inFlight).rejects.toThrow(`predict: ${why}; the model is unusable: load it again`);
    await expect(queued).rejects.toThrow(`predict: ${why}; the model is unusable: load it again`);
    await expect(model.embed(x)).rejects.toThrow(`embed: ${why}`);
    expect(model.backendReason).toBe(`unusable: ${why}`);
    expect(worker.terminated).toBe(1);
    expect(worker.calls()).toHaveLength(1);
    x.dispose();
  });

  it('dispose: the call in flight gets its answer, queued ones reject, then the worker is ended', async () => {
    const worker = new ScriptedWorker();
    const model = await connectModel('tiny', { synthetic: true }, worker, null);
    worker.onRequest = () => undefined;
    const x = tf.zeros([2, 2, 3], 'int32') as tf.Tensor3D;
    const inFlight = model.predict(x);
    const queued = model.predict(x);
    await callsReceived(worker, 1);
    model.dispose();
    expect(worker.terminated).toBe(0);
    worker.reply({
      type: 'result',
      value: new Float32Array([5]),
      state: { backend: 'wasm', backendReason: 'r' },
    });
    expect(await inFlight).toEqual(new Float32Array([5]));
    await expect(queued).rejects.toThrow("predict: the model 'tiny' was disposed");
    expect(worker.terminated).toBe(1);
    model.dispose();
    expect(worker.terminated).toBe(1);
    x.dispose();
  });

  it('forwards progress, asks the worker to abort, ends the worker when load fails', async () => {
    const worker = new ScriptedWorker();
    const progress: number[] = [];
    const controller = new AbortController();
    worker.onRequest = (request) => {
      if (request.type === 'load') {
        worker.reply({ type: 'progress', progress: { loaded: 10, total: 100 } });
        controller.abort();
      }
      if (request.type === 'abort') {
        worker.reply({
          type: 'failed',
          error: { name: 'Error', message: 'https://x.test/model.json: download aborted' },
        });
      }
    };
    const loading = connectModel(
      'tiny',
      {
        weightsUrl: 'https://x.test/model.json',
        onProgress: ({ loaded }) => progress.push(loaded),
        signal: controller.signal,
      },
      worker,
      null,
    );
    await expect(loading).rejects.toThrow('https://x.test/model.json: download aborted');
    expect(progress).toEqual([10]);
    expect(worker.requests.map((r) => r.type)).toEqual(['load', 'abort']);
    expect(worker.requests[0]).toMatchObject({ progress: true, lock: null });
    expect(worker.terminated).toBe(1);
  });

  it("gives the worker the page's webnets.* localStorage entries and keeps what it stores", async () => {
    const storage = new Map([
      ['webnets.calibration.v1|tiny|…', '{"backend":"wasm"}'],
      ['other-app', 'x'],
    ]);
    vi.stubGlobal('localStorage', {
      get length() {
        return storage.size;
      },
      key: (i: number) => [...storage.keys()][i] ?? null,
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, v),
    });
    const worker = new ScriptedWorker();
    worker.onRequest = (request) => {
      if (request.type !== 'load') return;
      worker.reply({ type: 'storage', key: 'webnets.calibration.v1|new', value: '{}' });
      worker.reply({ type: 'storage', key: 'not-webnets', value: 'no' });
      worker.reply({ type: 'loaded', model: loaded });
    };
    const model = await connectModel('tiny', { synthetic: true, calibrate: true }, worker, null);
    expect(worker.requests[0]).toMatchObject({
      storage: { 'webnets.calibration.v1|tiny|…': '{"backend":"wasm"}' },
    });
    expect(storage.get('webnets.calibration.v1|new')).toBe('{}');
    expect(storage.has('not-webnets')).toBe(false);
    model.dispose();
  });
});

/** The real server on one end of a MessageChannel, the client on the other. */
function channelWorker(): WorkerLike {
  const { port1, port2 } = new MessageChannel();
  serveModel(port2 as unknown as ServerEndpoint, loadOnThisThread);
  port2.start();
  port1.start();
  return {
    postMessage: (message, transfer) => port1.postMessage(message, transfer),
    addEventListener: (type: string, listener: (event: never) => void) =>
      port1.addEventListener(type, listener as unknown as EventListener),
    terminate: () => {
      port1.close();
      port2.close();
    },
  };
}

describe('the real server behind a MessageChannel', () => {
  it('answers as the model on this thread does: logits, classes, features, errors, in order', async () => {
    const options = { synthetic: 7, backend: 'wasm' } as const;
    const here: Model = await load('fd-mobilenet-0.25x', options);
    const there: Model = await connectModel('fd-mobilenet-0.25x', options, channelWorker(), null);
    expect(there.backendReason).toBe(here.backendReason);
    expect(there.info).toEqual(here.info);
    const inputs = [image(40, 60, 1), image(50, 30, 2), image(64, 64, 3)];
    const expected = [];
    for (const x of inputs) expected.push(await here.predict(x));
    const answers = await Promise.all(inputs.map((x) => there.predict(x)));
    expect(answers).toEqual(expected);
    expect(await there.classify(inputs[0]!, { topK: 3 })).toEqual(
      await here.classify(inputs[0]!, { topK: 3 }),
    );
    expect(await there.embed(inputs[1]!)).toEqual(await here.embed(inputs[1]!));
    const bad = await there.classify(inputs[0]!, { topK: 0 }).catch((e: Error) => e.message);
    expect(bad).toBe(await here.classify(inputs[0]!, { topK: 0 }).catch((e: Error) => e.message));
    expect(bad).toMatch(/^classify: topK is 0/);
    const classifyOptions = {
      topK: 4,
      scoreThreshold: 0.0005,
      categoryDenylist: [here.info.labels[0]!, 5],
      regionOfInterest: { left: 0.1, top: 0.2, right: 0.7, bottom: 0.9 },
    };
    const selected = await here.classify(inputs[2]!, classifyOptions);
    expect(selected.length).toBeGreaterThan(0);
    expect(await there.classify(inputs[2]!, classifyOptions)).toEqual(selected);
    tf.dispose(inputs);
    here.dispose();
    there.dispose();
  });

  it("a load that fails in the worker rejects with the worker's message", async () => {
    await expect(
      connectModel('fd-mobilenet-0.25x', { synthetic: 1.5 }, channelWorker(), null),
    ).rejects.toThrow(
      "load('fd-mobilenet-0.25x'): synthetic is 1.5: expected true or a whole-number seed",
    );
  });
});
