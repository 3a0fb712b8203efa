import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackendFacts } from '../../src/backend/policy';
import type { BuiltNetwork, Model } from '../../src/runtime/model';
import { topClasses } from '../../src/runtime/model';
import { openModel } from '../../src/runtime/open';
import type { ImageSource } from '../../src/runtime/source';
import { preprocess } from '../../src/runtime/preprocess';
import { tf } from '../../src/tf';
import { tinyInfo, tinyNetwork, tinyPreprocessing } from './tiny-network';

const nvidia: BackendFacts = {
  webgpu: {
    status: 'ok',
    adapter: {
      vendor: 'nvidia',
      architecture: 'ampere',
      device: '',
      description: '',
      isFallbackAdapter: false,
    },
  },
  platform: { os: 'linux', architecture: 'x86', mobile: false },
};
const noGpu: BackendFacts = { webgpu: { status: 'missing' }, platform: nvidia.platform };

/** A seeded 0–255 RGB image. */
function image(height: number, width: number, seed: number): tf.Tensor3D {
  let s = seed;
  const values = Int32Array.from({ length: height * width * 3 }, () => {
    s = (s * 69069 + 1) % 4294967296;
    return s % 256;
  });
  return tf.tensor3d(values, [height, width, 3], 'int32');
}

const build = (): Promise<BuiltNetwork> =>
  Promise.resolve({ network: tinyNetwork(), info: tinyInfo });
const open = (options: Parameters<typeof openModel>[2] = {}): Promise<Model> =>
  openModel('tiny', build, { backend: 'wasm', ...options });

let img: tf.Tensor3D;
beforeAll(async () => {
  await tf.setBackend('wasm');
  img = image(24, 30, 1);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('choosing and starting the backend', () => {
  it('runs on the requested backend and says so', async () => {
    const model = await open();
    expect(model.backend).toBe('wasm');
    expect(model.backendReason).toMatch(
      /^wasm(-simd)? \(1 thread\): requested \(backend: 'wasm'\)$/,
    );
    expect(model.inputSize).toBe(16);
    model.dispose();
    const cpu = await open({ backend: 'cpu' });
    expect(cpu.backendReason).toBe("cpu: requested (backend: 'cpu')");
    cpu.dispose();
  });

  it('says how many threads it wanted and why it runs fewer', async () => {
    const model = await open({ threads: 2 });
    expect(model.backendReason).toMatch(
      /^wasm(-simd)? \(1 thread, 2 wanted: tfjs' WASM backend runs one thread in Node\): requested \(backend: 'wasm'\)$/,
    );
    model.dispose();
  });

  it("'auto' follows the policy on the probed facts", async () => {
    const model = await open({ backend: 'auto', probe: () => Promise.resolve(noGpu) });
    expect(model.backend).toBe('wasm');
    expect(model.backendReason).toMatch(
      /^wasm(-simd)? \(1 thread\): no WebGPU \(navigator\.gpu is missing\)$/,
    );
    model.dispose();
  });

  it("'auto' falls back to WASM when WebGPU was chosen but cannot start, and says why", async () => {
    const before = tf.memory().numTensors;
    const model = await open({ backend: 'auto', probe: () => Promise.resolve(nvidia) });
    expect(model.backend).toBe('wasm');
    expect(model.backendReason).toMatch(
      /^wasm(-simd)? \(1 thread\): fell back from WebGPU: webgpu setup failed: no WebGPU \(navigator\.gpu is missing\)$/,
    );
    expect((await model.classify(img)).length).toBe(5);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a requested backend that cannot start fails the load, naming the step, leaving nothing behind', async () => {
    const before = tf.memory().numTensors;
    await expect(open({ backend: 'webgpu' })).rejects.toThrow(
      /^webgpu setup failed: no WebGPU \(navigator\.gpu is missing\)\. Load with backend: 'auto' \(WebGPU where it works, else WASM\) or backend: 'wasm' to run without WebGPU$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a network whose outputs do not fit the labels fails at load, freed', async () => {
    const before = tf.memory().numTensors;
    await expect(
      openModel('tiny', () => Promise.resolve({ network: tinyNetwork(12), info: tinyInfo }), {
        backend: 'wasm',
      }),
    ).rejects.toThrow(
      'the first inference on wasm failed: the network gives 12 logits but its label set has 10 names',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an aborted signal stops the load', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(open({ signal: controller.signal })).rejects.toThrow(/abort/i);
  });

  it('refuses bad WASM options before doing anything', async () => {
    await expect(open({ threads: 0 })).rejects.toThrow(
      "threads: expected a whole number ≥ 1 or 'auto', got 0",
    );
    await expect(open({ wasmPaths: { 'tfjs-backend-wasm.wasm': '/a.wasm' } })).rejects.toThrow(
      /wasmPaths: the map lacks tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm/,
    );
  });

  it('calibrate: times both candidates, keeps the one that ran, remembers it', async () => {
    const first = await open({
      backend: 'auto',
      calibrate: true,
      probe: () => Promise.resolve(nvidia),
    });
    expect(first.backend).toBe('wasm');
    expect(first.backendReason).toMatch(
      /^wasm(-simd)? \(1 thread\): calibrated on this device: wasm \d+\.\d ms\/inference, webgpu failed$/,
    );
    first.dispose();
    const second = await open({
      backend: 'auto',
      calibrate: true,
      probe: () => Promise.resolve(nvidia),
    });
    expect(second.backendReason).toMatch(
      /calibrated earlier on this device \(\d{4}-\d\d-\d\d\): wasm/,
    );
    second.dispose();
  });
});

describe('classify, predict, embed', () => {
  it('predict gives the logits of the preprocessed image; classify their softmax top-k', async () => {
    const model = await open();
    const logits = await model.predict(img);
    const net = tinyNetwork();
    const direct = tf.tidy(() => net.forward(preprocess(img, tinyPreprocessing)).logits);
    expect(Array.from(logits)).toEqual(Array.from(await direct.data()));
    direct.dispose();
    net.dispose();

    const top = await model.classify(img, { topK: 3 });
    const max = Math.max(...logits);
    const sum = logits.reduce((s, v) => s + Math.exp(v - max), 0);
    const order = Array.from(logits.keys()).sort(
      (a, b) => (logits[b] as number) - (logits[a] as number),
    );
    expect(top.map((c) => c.index)).toEqual(order.slice(0, 3));
    for (const c of top) {
      expect(c.label).toBe(`class-${c.index}`);
      expect(c.probability).toBeCloseTo(Math.exp((logits[c.index] as number) - max) / sum, 6);
    }
    expect((await model.classify(img)).length).toBe(5);
    expect((await model.classify(img, { topK: 50 })).length).toBe(10);
    await expect(model.classify(img, { topK: 0 })).rejects.toThrow(
      'classify: topK is 0: expected a whole number ≥ 1',
    );
    const features = await model.embed(img);
    expect(features).toBeInstanceOf(Float32Array);
    expect(features.length).toBe(6);
    model.dispose();
  });

  it('topClasses: softmax is stable for large logits and ties go to the lower index', () => {
    const top = topClasses(Float32Array.from([1000, 1001, 1001, -5]), ['a', 'b', 'c', 'd'], 3);
    expect(top.map((c) => c.index)).toEqual([1, 2, 0]);
    expect(top[0]?.probability).toBeCloseTo(Math.E / (1 + 2 * Math.E), 6);
  });

  it('accepts float32 and int32 HWC tensors of any size', async () => {
    const model = await open();
    const asFloat = tf.cast(img, 'float32') as tf.Tensor3D;
    expect(Array.from(await model.predict(asFloat))).toEqual(Array.from(await model.predict(img)));
    asFloat.dispose();
    const big = image(80, 50, 3); // shrinking more than 2×
    const small = image(7, 9, 4); // upscaling path
    expect((await model.predict(big)).length).toBe(10);
    expect((await model.predict(small)).length).toBe(10);
    tf.dispose([big, small]);
    model.dispose();
  });
});

describe('reliability', () => {
  it('leaks no tensor over 200 classify calls, and dispose returns to the count before load', async () => {
    const before = tf.memory().numTensors;
    const model = await open();
    const loaded = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) await model.classify(img);
    expect(tf.memory().numTensors).toBe(loaded);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    [
      () => tf.zeros([1, 8, 8, 3]),
      /^classify: the input tensor has shape \[1, 8, 8, 3\] \(rank 4\): expected an HWC tensor \[height, width, 3\] of 0–255 RGB$/,
    ],
    [
      () => tf.zeros([8, 8, 4]),
      /shape \[8, 8, 4\] \(rank 3\): expected an HWC tensor \[height, width, 3\]/,
    ],
    [() => tf.zeros([8, 8]), /shape \[8, 8\] \(rank 2\)/],
    [
      () => tf.zeros([8, 8, 3], 'bool'),
      /^classify: the input tensor has dtype bool: expected int32 or float32, 0–255$/,
    ],
    [() => tf.zeros([0, 8, 3]), /has shape \[0, 8, 3\]: expected height and width ≥ 1/],
    [
      () => {
        const t = tf.zeros([8, 8, 3]);
        t.dispose();
        return t;
      },
      /^classify: the input tensor is disposed/,
    ],
    [
      () => null,
      /^classify: got null: expected an HTMLImageElement, HTMLVideoElement, .* or an HWC tensor/,
    ],
    [() => 'cat.png', /^classify: got string: expected an HTMLImageElement/],
    [() => ({ width: 3, height: 3 }), /^classify: got Object: expected/],
    [
      () => ({ dataId: {}, shape: [8, 8, 3] }),
      /comes from another copy of tfjs: create it with webnets' own `tf` export/,
    ],
  ])('refuses a bad source clearly and keeps working (%#)', async (makeBad, message) => {
    const model = await open();
    const loaded = tf.memory().numTensors;
    const bad = makeBad();
    await expect(model.classify(bad as ImageSource)).rejects.toThrow(message);
    if (bad instanceof tf.Tensor) bad.dispose();
    expect(tf.memory().numTensors).toBe(loaded);
    expect((await model.classify(img)).length).toBe(5);
    model.dispose();
  });

  it('overlapping calls come back in call order with the right results; a bad one fails alone', async () => {
    const model = await open();
    const images = Array.from({ length: 12 }, (_, i) => image(20 + i, 26 - i, 10 + i));
    const expected: number[][] = [];
    for (const x of images) expected.push(Array.from(await model.predict(x)));
    const finished: number[] = [];
    const calls = images.map((x, i) =>
      (i === 5 ? model.predict(tf.zeros([2, 2]) as unknown as ImageSource) : model.predict(x)).then(
        (v) => {
          finished.push(i);
          return Array.from(v);
        },
        (err: Error) => {
          finished.push(i);
          return err.message;
        },
      ),
    );
    const results = await Promise.all(calls);
    expect(finished).toEqual(images.map((_, i) => i));
    results.forEach((r, i) => {
      if (i === 5) expect(r).toMatch(/predict: the input tensor has shape \[2, 2\]/);
      else expect(r).toEqual(expected[i]);
    });
    tf.dispose(images);
    model.dispose();
  });

  it('dispose: queued calls reject, later calls reject, twice is fine', async () => {
    const before = tf.memory().numTensors;
    const model = await open();
    const pending = model.classify(img);
    model.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(pending).rejects.toThrow("classify: the model 'tiny' was disposed");
    await expect(model.embed(img)).rejects.toThrow("embed: the model 'tiny' was disposed");
  });

  it('dispose during a running call lets it finish, then frees the weights', async () => {
    const before = tf.memory().numTensors;
    let model: Model | undefined;
    const network = tinyNetwork();
    const forward = network.forward;
    network.forward = (x) => {
      model?.dispose(); // the page disposes while this call runs
      return forward(x);
    };
    model = await openModel('tiny', () => Promise.resolve({ network, info: tinyInfo }), {
      backend: 'wasm',
    });
    model = model as Model;
    const result = await model.classify(img);
    expect(result.length).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
  });
});
