/**
 * WebGPU that is missing, fails or lies, in real Chromium (SwiftShader), made so by init
 * scripts: every way `load` can find WebGPU unusable is named under backend: 'webgpu' and
 * becomes the fallback's reason under 'auto', with nothing left half-done (a WASM load in
 * the same page works); and the canary check catches a GPU whose results are wrong, once
 * per device.
 */
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import {
  breakComputePipelines,
  noAdapter,
  openRuntimePage,
  removeWebGpu,
  spoofAdapterInfo,
  type WebnetsWindow,
} from './runtime-fixtures';

const nvidia = { vendor: 'nvidia', architecture: 'ampere', device: '', description: '' };

const alternatives =
  "Load with backend: 'auto' (WebGPU where it works, else WASM) or backend: 'wasm' to run without WebGPU";

/** Init script: requestAdapter rejects (a GPU process that cannot start). */
function adapterRequestFails(): void {
  const gpuProto = (globalThis as unknown as { GPU: { prototype: Record<string, unknown> } }).GPU
    .prototype;
  gpuProto.requestAdapter = () =>
    Promise.reject(new DOMException('simulated: the GPU process is unavailable', 'OperationError'));
}

/** Init script: the adapter refuses to make a device. */
function deviceRequestFails(): void {
  const adapterProto = (
    globalThis as unknown as { GPUAdapter: { prototype: Record<string, unknown> } }
  ).GPUAdapter.prototype;
  adapterProto.requestDevice = () =>
    Promise.reject(new DOMException('simulated: out of device memory', 'OperationError'));
}

/** Init script: the adapter offers only 4 storage buffers per stage (compatibility-mode size). */
function fewStorageBuffers(): void {
  const adapterProto = (globalThis as unknown as { GPUAdapter: { prototype: object } }).GPUAdapter
    .prototype;
  const limits = Object.getOwnPropertyDescriptor(adapterProto, 'limits')!.get!;
  Object.defineProperty(adapterProto, 'limits', {
    get(this: object) {
      const real = limits.call(this) as Record<string | symbol, unknown>;
      return new Proxy(real, {
        get: (target, key) => (key === 'maxStorageBuffersPerShaderStage' ? 4 : target[key]),
      });
    },
  });
}

/** Init script: every device is destroyed right after its first queue submit. */
function deviceLostAtFirstSubmit(): void {
  type Device = { destroy(): void; queue: { submit(buffers: unknown): void } };
  const adapterProto = (
    globalThis as unknown as {
      GPUAdapter: { prototype: { requestDevice(...args: unknown[]): Promise<Device> } };
    }
  ).GPUAdapter.prototype;
  const requestDevice = adapterProto.requestDevice;
  adapterProto.requestDevice = async function (this: unknown, ...args: unknown[]) {
    const device = await requestDevice.apply(this, args);
    const submit = device.queue.submit.bind(device.queue);
    let submits = 0;
    device.queue.submit = (buffers) => {
      submit(buffers);
      if (++submits === 1) device.destroy();
    };
    return device;
  };
}

/**
 * Init script: counts readbacks (mapAsync for reading) in `window.readbacks`, and from
 * readback `from` on (0: all) gives every float read back 1% too large, as a faulty
 * driver might; `from` null reads honestly.
 */
function countAndCorruptReadbacks(from: number | null): void {
  type Buffer = {
    mapAsync(mode: number, ...rest: unknown[]): Promise<void>;
    getMappedRange(...args: unknown[]): ArrayBuffer;
  };
  const w = window as unknown as { readbacks: number };
  w.readbacks = 0;
  const proto = (globalThis as unknown as { GPUBuffer: { prototype: Buffer } }).GPUBuffer.prototype;
  const mapAsync = proto.mapAsync;
  const getMappedRange = proto.getMappedRange;
  const corrupt = new WeakSet<object>();
  proto.mapAsync = function (this: Buffer, mode: number, ...rest: unknown[]) {
    corrupt.delete(this);
    if (mode & 1 /* GPUMapMode.READ */) {
      if (from !== null && w.readbacks >= from) corrupt.add(this);
      w.readbacks++;
    }
    return mapAsync.call(this, mode, ...rest);
  };
  proto.getMappedRange = function (this: Buffer, ...args: unknown[]) {
    const range = getMappedRange.apply(this, args);
    if (!corrupt.has(this)) return range;
    const copy = new Float32Array(range.slice(0));
    for (let i = 0; i < copy.length; i++) copy[i] = copy[i]! * 1.01;
    return copy.buffer;
  };
}

interface LoadOutcome {
  backend?: string;
  reason?: string;
  error?: string;
  /** Whether tfjs has a WebGPU backend registered and the active backend's name, after. */
  webgpuRegistered: boolean;
  activeBackend: string;
  /** Tensors left over by the load (0 after a failed one). */
  leftTensors: number;
  readbacks: number;
}

/** Loads a small synthetic model with these options; disposes it; says what happened. */
function loadOnce(page: Page, options: object): Promise<LoadOutcome> {
  return page.evaluate(async (options) => {
    const { load, tf } = (window as unknown as WebnetsWindow).webnets;
    const w = window as unknown as { readbacks?: number };
    const readbacksBefore = w.readbacks ?? 0;
    const tensorsBefore = tf.engine().state.numTensors;
    let outcome: { backend?: string; reason?: string; error?: string };
    try {
      const model = await load('fd-mobilenet-0.25x', { synthetic: true, ...options });
      outcome = { backend: model.backend, reason: model.backendReason };
      model.dispose();
    } catch (err) {
      outcome = { error: (err as Error).message };
    }
    return {
      ...outcome,
      webgpuRegistered: tf.engine().registry['webgpu'] !== undefined,
      activeBackend: tf.getBackend(),
      leftTensors: tf.engine().state.numTensors - tensorsBefore,
      readbacks: (w.readbacks ?? 0) - readbacksBefore,
    };
  }, options);
}

/** The three loads every case makes in one page: 'webgpu', then 'auto', then 'wasm'. */
async function threeLoads(page: Page) {
  await openRuntimePage(page);
  const webgpu = await loadOnce(page, { backend: 'webgpu' });
  const auto = await loadOnce(page, { backend: 'auto' });
  const wasm = await loadOnce(page, { backend: 'wasm' });
  return { webgpu, auto, wasm };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test.describe("WebGPU unusable at load: named under 'webgpu', the reason under 'auto'", () => {
  const cases: {
    name: string;
    setup: (page: Page) => Promise<unknown>;
    /** What is missing, as both the error and the reason say it. */
    fact: string;
  }[] = [
    {
      name: 'no navigator.gpu (as in Firefox ESR 153 on Linux)',
      setup: (page) => page.addInitScript(removeWebGpu),
      fact: 'no WebGPU (navigator.gpu is missing)',
    },
    {
      name: 'requestAdapter() resolves null',
      setup: (page) => page.addInitScript(noAdapter),
      fact: 'no WebGPU adapter (requestAdapter returned null)',
    },
    {
      name: 'requestAdapter() rejects',
      setup: (page) => page.addInitScript(adapterRequestFails),
      fact: 'no WebGPU adapter (requestAdapter failed: simulated: the GPU process is unavailable)',
    },
    {
      name: 'the adapter lacks a limit webnets needs',
      setup: (page) => page.addInitScript(fewStorageBuffers),
      fact: 'the WebGPU adapter (google swiftshader) lacks what webnets needs: limit maxStorageBuffersPerShaderStage 4 < 8',
    },
    {
      name: 'requestDevice() rejects',
      setup: (page) => page.addInitScript(deviceRequestFails),
      fact: 'no WebGPU device (requestDevice failed on google swiftshader: simulated: out of device memory)',
    },
  ];
  for (const { name, setup, fact } of cases) {
    test(name, async ({ page }) => {
      await setup(page);
      const { webgpu, auto, wasm } = await threeLoads(page);
      expect(webgpu.error).toBe(`webgpu setup failed: ${fact}. ${alternatives}`);
      // Nothing half-done: no WebGPU backend registered, none active, no tensor left.
      expect(webgpu).toMatchObject({ webgpuRegistered: false, leftTensors: 0 });
      expect(webgpu.activeBackend).not.toBe('webgpu');
      expect(auto.backend).toBe('wasm');
      expect(auto.reason).toMatch(
        new RegExp(`^wasm-simd \\(\\d+ threads?(, [^)]*)?\\): ${escape(fact)}$`),
      );
      expect(wasm.backend).toBe('wasm');
      expect(wasm.reason).toMatch(/requested \(backend: 'wasm'\)$/);
    });
  }

  test('the device is lost while the model loads', async ({ page }) => {
    await page.addInitScript(deviceLostAtFirstSubmit);
    const { webgpu, auto, wasm } = await threeLoads(page);
    expect(webgpu.error).toMatch(
      new RegExp(
        `^(building the network on webgpu|the first inference on webgpu) failed: the WebGPU device was lost \\(destroyed[^)]*\\)\\. ${escape(alternatives)}$`,
      ),
    );
    expect(webgpu.leftTensors).toBe(0);
    // SwiftShader: 'auto' picks WASM before WebGPU's state matters.
    expect(auto.backend).toBe('wasm');
    expect(wasm.backend).toBe('wasm');
    expect(wasm.reason).toMatch(/requested \(backend: 'wasm'\)$/);
  });

  test('the device is lost after the model loaded: a later WebGPU load opens a new device, the old model moves to WASM', async ({
    page,
  }) => {
    await page.addInitScript(spoofAdapterInfo, nvidia);
    await openRuntimePage(page);
    const result = await page.evaluate(async () => {
      const { load, tf } = (window as unknown as WebnetsWindow).webnets;
      const picture = new ImageData(32, 32);
      for (let i = 0; i < picture.data.length; i++) picture.data[i] = (i * 37) % 251;
      const logits = async (m: { predict(x: ImageData): Promise<Float32Array> }) =>
        Array.from(await m.predict(picture));
      const old = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'webgpu' });
      const before = await logits(old);
      const lostDevice = (tf.engine().registry['webgpu'] as unknown as { device: GPUDevice })
        .device;
      lostDevice.destroy();
      await new Promise((r) => setTimeout(r, 50));
      // The new load comes first: the old model must notice that its device is not this one.
      const renewed = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'webgpu' });
      const newDevice = (tf.engine().registry['webgpu'] as unknown as { device: GPUDevice }).device;
      const onNewDevice = await logits(renewed);
      const afterMove = await logits(old);
      const maxDiff = (a: number[], b: number[]) =>
        Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      const result = {
        renewed: { backend: renewed.backend, reason: renewed.backendReason },
        moved: { backend: old.backend, reason: old.backendReason },
        anotherDevice: newDevice !== lostDevice,
        newDeviceDiff: maxDiff(before, onNewDevice),
        movedDiff: maxDiff(before, afterMove),
        renewedStillWorks: (await logits(renewed)).length,
      };
      old.dispose();
      renewed.dispose();
      return { ...result, leftTensors: tf.memory().numTensors };
    });
    expect(result.renewed.backend).toBe('webgpu');
    expect(result.renewed.reason).toMatch(/requested \(backend: 'webgpu'\)$/);
    expect(result.anotherDevice).toBe(true);
    expect(result.newDeviceDiff).toBeLessThan(1e-5);
    expect(result.moved.backend).toBe('wasm');
    expect(result.moved.reason).toMatch(
      /fell back from WebGPU: the WebGPU device was lost \(destroyed/,
    );
    expect(result.movedDiff).toBeLessThan(1e-3);
    expect(result.renewedStillWorks).toBe(1000);
    expect(result.leftTensors).toBe(0);
  });
});

test.describe("the canary check ('auto' on a hardware adapter: SwiftShader spoofed as NVIDIA)", () => {
  test('an honest GPU passes; the verdict is remembered, in the page and after a reload', async ({
    page,
  }) => {
    await page.addInitScript(spoofAdapterInfo, nvidia);
    await page.addInitScript(countAndCorruptReadbacks, null);
    await openRuntimePage(page);
    const first = await loadOnce(page, { backend: 'auto' });
    const second = await loadOnce(page, { backend: 'auto' });
    expect(first.backend).toBe('webgpu');
    expect(first.reason).toMatch(
      /^webgpu: hardware WebGPU adapter \(nvidia ampere\); canary check passed: WebGPU matched the CPU on a canary network, error \d\.\de-\d+ ≤ 0\.001$/,
    );
    expect(second.backend).toBe('webgpu');
    expect(second.reason).toMatch(
      /; canary check passed: .* \(checked on this device \d{4}-\d\d-\d\d\)$/,
    );
    // The canary's two WebGPU runs read back twice; the second load did not run it.
    expect(first.readbacks - second.readbacks).toBe(2);
    await page.reload();
    await page.waitForFunction(() => document.getElementById('out')?.textContent === 'ready');
    const afterReload = await loadOnce(page, { backend: 'auto' });
    expect(afterReload.reason).toMatch(/\(checked on this device \d{4}-\d\d-\d\d\)$/);
    expect(afterReload.readbacks).toBe(second.readbacks);
  });

  for (const [what, from] of [
    ['wrong results', 0],
    ['results right on the first run only', 1],
  ] as const) {
    test(`a GPU giving ${what}: 'auto' falls back to WASM saying why, and does not check again`, async ({
      page,
    }) => {
      await page.addInitScript(spoofAdapterInfo, nvidia);
      await page.addInitScript(countAndCorruptReadbacks, from);
      await openRuntimePage(page);
      const first = await loadOnce(page, { backend: 'auto' });
      const second = await loadOnce(page, { backend: 'auto' });
      expect(first.backend).toBe('wasm');
      expect(first.reason).toMatch(
        /^wasm-simd \(\d+ threads?(, [^)]*)?\): fell back from WebGPU: canary check failed: WebGPU on nvidia ampere gave wrong results on a canary network, error 1\.0e-2 > 0\.001 \(largest difference from the CPU's, relative to the largest value\)$/,
      );
      expect(first.readbacks).toBe(2);
      expect(second.backend).toBe('wasm');
      expect(second.reason).toMatch(
        /fell back from WebGPU: canary check failed: .*\(checked on this device \d{4}-\d\d-\d\d\)$/,
      );
      expect(second.readbacks).toBe(0);
    });
  }

  test("backend: 'webgpu' skips the check unless verifyWebGPU: true, which then fails the load", async ({
    page,
  }) => {
    await page.addInitScript(countAndCorruptReadbacks, 0);
    await openRuntimePage(page);
    const trusted = await loadOnce(page, { backend: 'webgpu' });
    expect(trusted.backend).toBe('webgpu');
    expect(trusted.reason).toBe("webgpu: requested (backend: 'webgpu')");
    expect(trusted.readbacks).toBe(1); // the warm-up's logits, no canary
    const verified = await loadOnce(page, { backend: 'webgpu', verifyWebGPU: true });
    expect(verified.error).toBe(
      `webgpu: canary check failed: WebGPU on google swiftshader gave wrong results on a canary network, error 1.0e-2 > 0.001 (largest difference from the CPU's, relative to the largest value). ${alternatives}`,
    );
    expect(verified.leftTensors).toBe(0);
  });

  test('a canary that cannot run on WebGPU (pipelines fail) falls back, not remembered', async ({
    page,
  }) => {
    await page.addInitScript(spoofAdapterInfo, nvidia);
    await page.addInitScript(breakComputePipelines);
    await openRuntimePage(page);
    const first = await loadOnce(page, { backend: 'auto' });
    expect(first.backend).toBe('wasm');
    expect(first.reason).toMatch(
      /fell back from WebGPU: canary check failed: the canary network could not run on WebGPU: .*simulated driver failure/,
    );
    const remembered = await page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith('webnets.webgpu-canary')),
    );
    expect(remembered).toEqual([]);
  });
});
