/**
 * The runtime in real Chromium: which backend 'auto' picks and why (on this machine and
 * on machines simulated by init scripts), WASM binaries and threads, the newcomer's page,
 * and the converted FD-MobileNet 0.5× pack classifying a photo alike on every backend.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import type { Tensor3D } from '@tensorflow/tfjs-core';
import {
  brokenHardwareAdapter,
  type InternalsWindow,
  noAdapter,
  openInternalsPage,
  openRuntimePage,
  packUrl,
  refuseSharedWasmMemory,
  removeWebGpu,
  reportCores,
  sharedDir,
  type WebnetsWindow,
  spoofAdapterInfo,
  withoutSharedArrayBuffer,
} from './runtime-fixtures';

/** Loads a small synthetic model with these options; returns what it says about its backend. */
async function autoChoice(page: Page, options: object = {}) {
  return page.evaluate(async (options) => {
    const { load, selectBackend } = (window as unknown as WebnetsWindow).webnets;
    const selected = await selectBackend();
    const model = await load('fd-mobilenet-0.25x', { synthetic: true, ...options });
    const x = (window as unknown as WebnetsWindow).webnets.tf.zeros([64, 64, 3]) as Tensor3D;
    const top = await model.classify(x);
    x.dispose();
    const result = {
      selected: { backend: selected.backend, reason: selected.reason, rule: selected.rule },
      backend: model.backend,
      reason: model.backendReason,
      classes: top.length,
    };
    model.dispose();
    return result;
  }, options);
}

test.describe("backend: 'auto'", () => {
  test('chooses WASM on this machine: its WebGPU adapter is SwiftShader, a software adapter', async ({
    page,
  }) => {
    await openRuntimePage(page);
    const choice = await autoChoice(page);
    expect(choice.selected).toEqual({
      backend: 'wasm',
      reason: 'software WebGPU adapter (google swiftshader)',
      rule: 'software-adapter',
    });
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(
      /^wasm-simd \(\d+ threads?(, [^)]*)?\): software WebGPU adapter \(google swiftshader\)$/,
    );
    expect(choice.classes).toBe(5);
  });

  test('chooses WASM on a low-power ARM GPU (adapter info: arm / valhall)', async ({ page }) => {
    await page.addInitScript(spoofAdapterInfo, {
      vendor: 'arm',
      architecture: 'valhall',
      device: '',
      description: 'Mali-G710',
    });
    await openRuntimePage(page);
    const choice = await autoChoice(page);
    expect(choice.selected.rule).toBe('low-power-arm-gpu');
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(
      /^wasm-simd \(\d+ threads?(, [^)]*)?\): low-power ARM GPU \(arm valhall\)$/,
    );
  });

  test('chooses WASM without navigator.gpu', async ({ page }) => {
    await page.addInitScript(removeWebGpu);
    await openRuntimePage(page);
    const choice = await autoChoice(page);
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(
      /^wasm-simd \(\d+ threads?(, [^)]*)?\): no WebGPU \(navigator\.gpu is missing\)$/,
    );
  });

  test('chooses WASM when requestAdapter resolves null', async ({ page }) => {
    await page.addInitScript(noAdapter);
    await openRuntimePage(page);
    const choice = await autoChoice(page);
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(
      /^wasm-simd \(\d+ threads?(, [^)]*)?\): no WebGPU adapter \(requestAdapter returned null\)$/,
    );
  });

  test('chooses WebGPU on a hardware adapter (adapter info: nvidia / ampere)', async ({ page }) => {
    await page.addInitScript(spoofAdapterInfo, {
      vendor: 'nvidia',
      architecture: 'ampere',
      device: '',
      description: '',
    });
    await openRuntimePage(page);
    const choice = await autoChoice(page);
    expect(choice.backend).toBe('webgpu');
    expect(choice.reason).toMatch(
      /^webgpu: hardware WebGPU adapter \(nvidia ampere\); canary check passed: WebGPU matched the CPU on a canary network/,
    );
  });

  test('falls back to WASM, saying why, when WebGPU fails its first inference', async ({
    page,
  }) => {
    await brokenHardwareAdapter(page);
    await openRuntimePage(page);
    // Without the canary check, which would fail first (e2e/webgpu-trust.spec.ts).
    const choice = await autoChoice(page, { verifyWebGPU: false });
    expect(choice.selected.backend).toBe('webgpu');
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(
      /^wasm-simd \(\d+ threads?(, [^)]*)?\): fell back from WebGPU: the first inference on webgpu failed: .*simulated driver failure/,
    );
    expect(choice.classes).toBe(5);
  });

  test("backend: 'webgpu' forces WebGPU (SwiftShader here)", async ({ page }) => {
    await openRuntimePage(page);
    const choice = await autoChoice(page, { backend: 'webgpu' });
    expect(choice.backend).toBe('webgpu');
    expect(choice.reason).toBe("webgpu: requested (backend: 'webgpu')");
  });

  test('calibrate: times both backends on the model, keeps the faster, remembers it', async ({
    page,
  }) => {
    await openRuntimePage(page);
    const result = await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      const first = await load('fd-mobilenet-0.25x', { synthetic: true, calibrate: true });
      const firstReason = first.backendReason;
      const firstBackend = first.backend;
      first.dispose();
      const second = await load('fd-mobilenet-0.25x', { synthetic: true, calibrate: true });
      const out = {
        firstBackend,
        firstReason,
        secondBackend: second.backend,
        secondReason: second.backendReason,
        stored: Object.keys(localStorage).filter((k) => k.startsWith('webnets.calibration')),
      };
      second.dispose();
      return out;
    });
    expect(result.firstReason).toMatch(
      /calibrated on this device: (wasm|webgpu) \d+\.\d ms\/inference, (webgpu|wasm) \d+\.\d ms\/inference$/,
    );
    expect(result.firstReason.split(': calibrated')[0]).toMatch(
      result.firstBackend === 'wasm' ? /^wasm-simd/ : /^webgpu$/,
    );
    expect(result.secondBackend).toBe(result.firstBackend);
    expect(result.secondReason).toMatch(/calibrated earlier on this device \(\d{4}-\d\d-\d\d\)/);
    expect(result.stored).toHaveLength(1);
    expect(result.stored[0]).toContain('fd-mobilenet-0.25x|google swiftshader');
  });
});

test.describe('WASM binaries and threads', () => {
  test('loads the binaries shipped next to dist/webnets.js by default, and from wasmPaths when given', async ({
    browser,
  }) => {
    for (const [wasmPaths, expected] of [
      [undefined, /\/dist\/tfjs-backend-wasm-threaded-simd\.wasm$/],
      [
        '/node_modules/@tensorflow/tfjs-backend-wasm/dist/',
        /\/node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm-threaded-simd\.wasm$/,
      ],
    ] as const) {
      const page = await browser.newPage();
      const wasmRequests: string[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('.wasm')) wasmRequests.push(r.url());
      });
      await openRuntimePage(page);
      const backend = await page.evaluate(async (wasmPaths) => {
        const model = await (window as unknown as WebnetsWindow).webnets.load(
          'fd-mobilenet-0.25x',
          {
            synthetic: true,
            backend: 'wasm',
            ...(wasmPaths ? { wasmPaths } : {}),
          },
        );
        model.dispose();
        return model.backend;
      }, wasmPaths);
      expect(backend).toBe('wasm');
      expect(wasmRequests).toHaveLength(1);
      expect(wasmRequests[0]).toMatch(expected);
      await page.close();
    }
  });

  test('a wrong wasmPaths fails the load with a message naming it', async ({ page }) => {
    await openRuntimePage(page);
    const message = await page.evaluate(() =>
      (window as unknown as WebnetsWindow).webnets
        .load('fd-mobilenet-0.25x', { synthetic: true, backend: 'wasm', wasmPaths: '/nowhere/' })
        .then(
          () => 'loaded',
          (err: Error) => err.message,
        ),
    );
    expect(message).toMatch(
      /^wasm setup failed: the WASM backend failed to initialize: check that the \.wasm binaries .* are served from \/nowhere\/ \(option wasmPaths\)/,
    );
  });

  test("threads: 2 splits webnets' convs and squeeze-excitations over a worker sharing tfjs' memory, logits as on 1 thread", async ({
    browser,
  }) => {
    // No core spoofing: on a 2-core machine tfjs gives XNNPACK 1 thread, webnets' pool 2.
    // RegNetX: grouped and 1×1 convs; EfficientNet-B0: depthwise convs and SE passes.
    const ids = ['regnetx-400mf', 'efficientnet-b0'];
    const runs: { threads: number; reason: string; logits: number[][] }[] = [];
    for (const threads of [1, 2]) {
      const page = await browser.newPage();
      await openInternalsPage(page);
      runs.push(
        await page.evaluate(
          async ({ threads, ids }) => {
            const w = (window as unknown as InternalsWindow).webnets;
            const logits: number[][] = [];
            let reason = '';
            let image: Tensor3D | null = null;
            for (const id of ids) {
              const model = await w.load(id, { synthetic: true, backend: 'wasm', threads });
              image ??= w.tf.tidy(() =>
                w.tf.cast(
                  w.tf.mul(w.tf.randomUniform([240, 320, 3], 0, 1, 'float32', 7), 255),
                  'int32',
                ),
              ) as Tensor3D; // after the first load: tfjs is up
              logits.push(Array.from(await model.predict(image)));
              reason = model.backendReason;
              model.dispose();
            }
            image?.dispose();
            const { kernels } = (window as unknown as InternalsWindow).internals;
            return { threads: kernels.wasmKernelThreads(), reason, logits };
          },
          { threads, ids },
        ),
      );
      await page.close();
    }
    expect(runs.map((r) => [r.threads, r.reason])).toEqual([
      [1, "wasm-simd (1 thread): requested (backend: 'wasm')"],
      [2, "wasm-simd (2 threads): requested (backend: 'wasm')"],
    ]);
    for (const [m, id] of ids.entries()) {
      const [one, two] = runs.map((r) => r.logits[m]!);
      const scale = Math.max(...one!.map(Math.abs));
      const maxDiff = Math.max(...one!.map((v, i) => Math.abs(v - two![i]!)));
      expect(one, id).toHaveLength(1000);
      expect(maxDiff / scale, `${id}: 2 threads vs 1`).toBeLessThan(1e-5);
    }
  });

  test('a model loaded with threads: 1 after the backend started with 2 keeps its kernels on one thread; one with 2 splits them', async ({
    page,
  }) => {
    await openInternalsPage(page);
    const runs = await page.evaluate(async () => {
      const w = (window as unknown as InternalsWindow).webnets;
      const { kernels } = (window as unknown as InternalsWindow).internals;
      const out: { threads: number; reason: string; splitCalls: number; logits: number[] }[] = [];
      let image: Tensor3D | null = null;
      for (const threads of [2, 1]) {
        const model = await w.load('efficientnet-b0', {
          synthetic: true,
          backend: 'wasm',
          threads,
        });
        image ??= w.tf.tidy(() =>
          w.tf.cast(w.tf.mul(w.tf.randomUniform([224, 224, 3], 0, 1, 'float32', 3), 255), 'int32'),
        ) as Tensor3D; // after the first load: tfjs is up
        const before = kernels.wasmKernelSplitCalls();
        const logits = Array.from(await model.predict(image));
        const splitCalls = kernels.wasmKernelSplitCalls() - before;
        out.push({ threads, reason: model.backendReason, splitCalls, logits });
        model.dispose();
      }
      image?.dispose();
      return out;
    });
    const [two, one] = runs;
    expect(two!.reason).toBe("wasm-simd (2 threads): requested (backend: 'wasm')");
    expect(one!.reason).toBe("wasm-simd (1 thread): requested (backend: 'wasm')");
    // B0's big convs, depthwise convs and squeeze-excitations: dozens of split calls.
    expect(two!.splitCalls).toBeGreaterThan(40);
    expect(one!.splitCalls).toBe(0);
    const scale = Math.max(...one!.logits.map(Math.abs));
    const maxDiff = Math.max(...one!.logits.map((v, i) => Math.abs(v - two!.logits[i]!)));
    expect(maxDiff / scale).toBeLessThan(1e-5);
  });

  test('two models with different thread settings in one page each keep their own, in turn, overlapping, and while the other loads', async ({
    page,
  }) => {
    await openInternalsPage(page);
    const result = await page.evaluate(async () => {
      const w = (window as unknown as InternalsWindow).webnets;
      const { kernels } = (window as unknown as InternalsWindow).internals;
      const options = { synthetic: true, backend: 'wasm' } as const;
      /** Split kernel calls while `run` runs. */
      const splits = async (run: () => Promise<unknown>): Promise<number> => {
        const before = kernels.wasmKernelSplitCalls();
        await run();
        return kernels.wasmKernelSplitCalls() - before;
      };
      const two = await w.load('efficientnet-b0', { ...options, threads: 2 });
      const image = w.tf.tidy(() =>
        w.tf.cast(w.tf.mul(w.tf.randomUniform([224, 224, 3], 0, 1, 'float32', 5), 255), 'int32'),
      ) as Tensor3D;
      const twoAlone = await splits(() => two.predict(image));
      // The other model's load (its warm-up inference) comes right after two's inference.
      let one = two;
      const oneLoad = await splits(async () => {
        one = await w.load('efficientnet-b0', { ...options, threads: 1 });
      });
      const inTurn: number[] = [];
      for (const model of [one, two, one, two])
        inTurn.push(await splits(() => model.predict(image)));
      const [a, b] = [await one.predict(image), await two.predict(image)];
      const overlapping = await splits(() => Promise.all([one.predict(image), two.predict(image)]));
      const out = {
        reasons: [two.backendReason, one.backendReason],
        twoAlone,
        oneLoad,
        inTurn,
        overlapping,
        maxDiff: Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / Math.max(...a.map(Math.abs)),
      };
      image.dispose();
      one.dispose();
      two.dispose();
      return out;
    });
    expect(result.reasons).toEqual([
      "wasm-simd (2 threads): requested (backend: 'wasm')",
      "wasm-simd (1 thread): requested (backend: 'wasm')",
    ]);
    expect(result.twoAlone).toBeGreaterThan(40);
    // threads: 1 from its warm-up on, though the model before it split its kernels.
    expect(result.oneLoad).toBe(0);
    // two's inferences 1–5 are its probe's first (src/backend/split-gauge.ts): it alternates split and
    // alone, from split: 1 twoAlone, 2 and 3 inTurn, 4 a/b, 5 overlapping.
    expect(result.inTurn).toEqual([0, 0, 0, result.twoAlone]);
    expect(result.overlapping).toBe(result.twoAlone);
    expect(result.maxDiff).toBeLessThan(1e-5);
  });

  test('a model with threads: 2 probes split against alone inferences, then runs the faster way and says which', async ({
    page,
  }) => {
    await openInternalsPage(page);
    const result = await page.evaluate(async () => {
      const w = (window as unknown as InternalsWindow).webnets;
      const { kernels } = (window as unknown as InternalsWindow).internals;
      const model = await w.load('fd-mobilenet-0.5x', {
        synthetic: true,
        backend: 'wasm',
        threads: 2,
      });
      const image = w.tf.zeros([224, 224, 3], 'int32') as Tensor3D;
      const probing = model.backendReason;
      /** Per inference: its split calls and the calls it ran whole that would have split. */
      const calls: [number, number][] = [];
      for (let i = 0; i < 28; i++) {
        const [split, solo] = [kernels.wasmKernelSplitCalls(), kernels.wasmKernelSoloCalls()];
        await model.predict(image);
        calls.push([kernels.wasmKernelSplitCalls() - split, kernels.wasmKernelSoloCalls() - solo]);
      }
      const out = { probing, held: model.backendReason, calls };
      image.dispose();
      model.dispose();
      return out;
    });
    expect(result.probing).toBe("wasm-simd (2 threads): requested (backend: 'wasm')");
    // Each inference splits every call its rules split, or none (src/backend/split-gauge.ts).
    const [splitCalls] = result.calls[0]!;
    expect(splitCalls).toBeGreaterThan(0);
    for (const [i, [split, solo]] of result.calls.entries()) {
      expect([split, solo], `inference ${i + 1}`).toEqual(
        split > 0 ? [splitCalls, 0] : [0, splitCalls],
      );
    }
    // The probe: 20 inferences alternating split and alone, from split.
    expect(result.calls.slice(0, 20).map(([split]) => split > 0)).toEqual(
      Array.from({ length: 20 }, (_, i) => i % 2 === 0),
    );
    expect([
      result.probing,
      "wasm-simd (2 threads, webnets' kernels on 1: measured faster here than split over the pool): requested (backend: 'wasm')",
    ]).toContain(result.held);
    // Held after the probe: the 21st inference runs as the label says.
    const alone = result.held !== result.probing;
    expect(result.calls[20]![0] > 0, 'inference 21 split').toBe(!alone);
  });

  test("threads: 'auto' splits a 400 M-MAC network over the workers, keeps a 40 M-MAC one on one thread", async ({
    page,
  }) => {
    await page.addInitScript(reportCores, 2); // 'auto': 2 kernel threads, 1 XNNPACK thread
    await openRuntimePage(page);
    const reasons = await page.evaluate(async () => {
      const w = (window as unknown as WebnetsWindow).webnets;
      const out: string[] = [];
      for (const id of ['regnetx-400mf', 'fd-mobilenet-0.5x']) {
        const model = await w.load(id, { synthetic: true, backend: 'wasm' });
        const image = w.tf.zeros([224, 224, 3], 'int32') as Tensor3D; // after load: tfjs is up
        const logits = await model.predict(image);
        image.dispose();
        if (!logits.every(Number.isFinite)) throw new Error(`${id}: logits not finite`);
        out.push(`${id}: ${model.backendReason}`);
        model.dispose();
      }
      return out;
    });
    expect(reasons).toEqual([
      "regnetx-400mf: wasm-simd (2 threads): requested (backend: 'wasm')",
      "fd-mobilenet-0.5x: wasm-simd (1 thread, threads 'auto' runs the kernels of a network under 100 M MACs on one thread, this one 40 M: its convs are too small for a split to repay; threads: 2 splits them): requested (backend: 'wasm')",
    ]);
  });

  test('threads: 2 runs two XNNPACK threads when the page is cross-origin isolated', async ({
    page,
  }) => {
    // tfjs caps threads at hardwareConcurrency / 2; this machine may have 2 cores.
    await page.addInitScript(reportCores, 4);
    await openRuntimePage(page);
    const result = await page.evaluate(async () => {
      const model = await (window as unknown as WebnetsWindow).webnets.load('fd-mobilenet-0.25x', {
        synthetic: true,
        backend: 'wasm',
        threads: 2,
      });
      model.dispose();
      return { reason: model.backendReason, isolated: crossOriginIsolated };
    });
    expect(result.isolated).toBe(true);
    expect(result.reason).toBe("wasm-simd (2 threads): requested (backend: 'wasm')");
  });

  /** Loads EfficientNet-B0 (synthetic) with `threads`; its logits on a seeded image and what it says. */
  async function threadsRun(page: Page, threads: number) {
    return page.evaluate(async (threads) => {
      const w = (window as unknown as WebnetsWindow).webnets;
      const model = await w.load('efficientnet-b0', { synthetic: true, backend: 'wasm', threads });
      const image = w.tf.tidy(() =>
        w.tf.cast(w.tf.mul(w.tf.randomUniform([224, 224, 3], 0, 1, 'float32', 11), 255), 'int32'),
      ) as Tensor3D;
      const logits = Array.from(await model.predict(image));
      image.dispose();
      model.dispose();
      return { backend: model.backend, reason: model.backendReason, logits };
    }, threads);
  }

  test("where the threaded WASM build cannot start (iOS Safari's RangeError), threads: 2 runs on one thread and says why", async ({
    browser,
  }) => {
    const page = await browser.newPage();
    await page.addInitScript(refuseSharedWasmMemory);
    const wasmRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('.wasm')) wasmRequests.push(r.url().replace(/.*\//, ''));
    });
    await openRuntimePage(page);
    const failing = await threadsRun(page, 2);
    await page.close();
    const reference = await browser.newPage();
    await openRuntimePage(reference);
    const one = await threadsRun(reference, 1);
    await reference.close();

    expect(failing.backend).toBe('wasm');
    expect(failing.reason).toBe(
      "wasm-simd (1 thread, 2 wanted: the threaded WASM build failed to start (RangeError: Out of memory)): requested (backend: 'wasm')",
    );
    // The threaded build failed at its shared memory, before fetching its binary.
    expect(wasmRequests).toEqual(['tfjs-backend-wasm-simd.wasm']);
    expect(failing.logits).toHaveLength(1000);
    expect(failing.logits).toEqual(one.logits);
  });

  test('without SharedArrayBuffer, threads: 2 runs on one thread and says why', async ({
    browser,
  }) => {
    for (const [isolated, why] of [
      [
        false,
        'the page is not cross-origin isolated, so no SharedArrayBuffer (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
      ],
      [true, 'this browser gives the page no SharedArrayBuffer'],
    ] as const) {
      const page = await browser.newPage();
      await page.addInitScript(withoutSharedArrayBuffer, isolated);
      await openRuntimePage(page);
      const run = await threadsRun(page, 2);
      await page.close();
      expect(run.reason).toBe(
        `wasm-simd (1 thread, 2 wanted: ${why}): requested (backend: 'wasm')`,
      );
      expect(run.logits.every(Number.isFinite)).toBe(true);
    }
  });
});

test.describe('the FD-MobileNet 0.5× pack (converted by `npx webnets convert`)', () => {
  test("a page with only `import { load } from '/dist/webnets.js'` classifies the cat photo", async ({
    page,
  }) => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto('/e2e/pages/classify.html');
    await expect(page.locator('#classes li')).toHaveCount(5);
    expect(errors).toEqual([]);
    await expect(page.locator('#classes li').first()).toHaveAttribute('data-index', '285');
    await expect(page.locator('#classes li').first()).toContainText('Egyptian cat');
    await expect(page.locator('#backend')).toContainText(/^wasm-simd \(\d+ threads?(, [^)]*)?\): /);
  });

  /** Classifies chelsea.png in a fresh page; threads are fixed per page load. */
  async function classifyChelsea(
    page: Page,
    options: { backend: 'wasm' | 'webgpu'; threads?: number },
  ) {
    await openRuntimePage(page);
    return page.evaluate(
      async ({ url, options }) => {
        const img = new Image();
        img.src = '/shared/images/chelsea.png';
        await img.decode();
        const model = await (window as unknown as WebnetsWindow).webnets.load('fd-mobilenet-0.5x', {
          weightsUrl: url,
          ...options,
        });
        const top = await model.classify(img);
        const logits = Array.from(await model.predict(img));
        const out = {
          reason: model.backendReason,
          backend: model.backend,
          top,
          logits,
          info: model.info,
        };
        model.dispose();
        return out;
      },
      { url: packUrl, options },
    );
  }

  test('classifies chelsea.png as 285 (Egyptian cat) on WASM (1 and 2 threads) and WebGPU, logits within 1e-3', async ({
    browser,
  }) => {
    const runs = [];
    for (const options of [
      { backend: 'wasm', threads: 1 },
      { backend: 'wasm', threads: 2 },
      { backend: 'webgpu' },
    ] as const) {
      const context = await browser.newContext();
      const page = await context.newPage();
      if ('threads' in options && options.threads === 2) await page.addInitScript(reportCores, 4);
      runs.push({ options, ...(await classifyChelsea(page, options)) });
      await context.close();
    }
    expect(runs.map((r) => r.reason)).toEqual([
      "wasm-simd (1 thread): requested (backend: 'wasm')",
      "wasm-simd (2 threads): requested (backend: 'wasm')",
      "webgpu: requested (backend: 'webgpu')",
    ]);
    for (const run of runs) {
      expect(run.top[0]).toMatchObject({ index: 285, label: 'Egyptian cat' });
      expect(run.info.synthetic).toBe(false);
      expect(run.info.source).toMatchObject({
        file: '0.5x-FDMobileNet-224.pth.tar',
        sha256: '2659c821467f37fd265f73ffbce4ed8d4c212347db97d4f7e7cb0922f065d054',
      });
    }
    const [first, ...others] = runs.map((r) => r.logits);
    for (const [i, logits] of others.entries()) {
      const maxDiff = Math.max(...logits.map((v, j) => Math.abs(v - first![j]!)));
      test.info().annotations.push({
        type: 'max |Δlogit| vs wasm 1 thread',
        description: `${runs[i + 1]!.reason.split(':')[0]}: ${maxDiff.toExponential(2)}`,
      });
      expect(maxDiff).toBeLessThan(1e-3);
    }
    // PyTorch's logits for the authors' preprocessing: ours resizes as Pillow does, so they
    // agree as closely as the network does from PyTorch's own input.
    const reference = JSON.parse(
      readFileSync(resolve(sharedDir, 'reference/fd-mobilenet.json'), 'utf8'),
    ) as { models: Record<string, Record<string, { top5: [number, number][]; logits: number[] }>> };
    const torch = reference.models['fd-mobilenet-0.5x']!['chelsea']!;
    const vsTorch = Math.max(...first!.map((v, j) => Math.abs(v - torch.logits[j]!)));
    const ours = runs[0]!.top.map((c) => c.index);
    test.info().annotations.push({
      type: 'vs PyTorch reference (PIL preprocessing)',
      description: `max |Δlogit| ${vsTorch.toFixed(3)}; top-5 ours ${ours.join(',')}, PyTorch ${torch.top5.map((t) => t[0]).join(',')}`,
    });
    expect(ours).toEqual(torch.top5.map((t) => t[0]));
    expect(vsTorch).toBeLessThan(1e-2 * Math.max(...torch.logits.map(Math.abs)));
  });
});

test.describe('a pack is read once per load, however many backends the model starts on', () => {
  /** Loads the FD-MobileNet 0.5× pack with cache: false; the pack's requests while `run` runs. */
  async function packRequests(page: Page, run: () => Promise<unknown>): Promise<string[]> {
    const requests: string[] = [];
    const count = (r: { url(): string }) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/packs/')) requests.push(path.split('/').pop()!);
    };
    page.on('request', count);
    await run();
    page.off('request', count);
    return requests;
  }

  test('calibration (both backends), the fallback after WebGPU fails, and a lost device download it once', async ({
    browser,
  }) => {
    const once = ['model.json', 'group1-shard1of1.bin'];
    const page = await browser.newPage();
    await openRuntimePage(page);
    const calibrated = await packRequests(page, () =>
      page.evaluate(async (url) => {
        const { load } = (window as unknown as WebnetsWindow).webnets;
        const model = await load('fd-mobilenet-0.5x', {
          weightsUrl: url,
          cache: false,
          calibrate: true,
        });
        const reason = model.backendReason;
        model.dispose();
        return reason;
      }, packUrl),
    );
    expect(calibrated).toEqual(once);
    const lost = await packRequests(page, () =>
      page.evaluate(async (url) => {
        const { load, tf } = (window as unknown as WebnetsWindow).webnets;
        const model = await load('fd-mobilenet-0.5x', {
          weightsUrl: url,
          cache: false,
          backend: 'webgpu',
        });
        const gpu = tf.engine().registry['webgpu'] as unknown as { device: { destroy(): void } };
        gpu.device.destroy();
        await new Promise((r) => setTimeout(r, 50));
        await model.predict(new ImageData(64, 64));
        const reason = model.backendReason;
        model.dispose();
        if (!reason.includes('fell back from WebGPU: the WebGPU device was lost'))
          throw new Error(reason);
      }, packUrl),
    );
    expect(lost).toEqual(once);
    await page.close();

    const broken = await browser.newPage();
    await brokenHardwareAdapter(broken);
    await openRuntimePage(broken);
    let reason = '';
    const fellBack = await packRequests(broken, async () => {
      reason = await broken.evaluate(async (url) => {
        const { load } = (window as unknown as WebnetsWindow).webnets;
        const model = await load('fd-mobilenet-0.5x', {
          weightsUrl: url,
          cache: false,
          verifyWebGPU: false, // reach WebGPU's start, which fails (the canary would first)
        });
        const out = model.backendReason;
        model.dispose();
        return out;
      }, packUrl);
    });
    expect(reason).toMatch(/fell back from WebGPU: the first inference on webgpu failed/);
    expect(fellBack).toEqual(once);
    await broken.close();
  });
});
