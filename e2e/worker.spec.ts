/**
 * `load(id, { worker: true })` in real Chromium, from the plain page that imports
 * /dist/webnets.js: the same logits as on the page's thread for every kind of source, the
 * caller's objects left usable, calls in order, every load option, abort, and each way a
 * worker can fail (no Worker, a 404 script, terminated, an uncaught error), and dispose.
 */
import type { Page, Worker as PageWorker } from '@playwright/test';
import { expect, test } from '@playwright/test';
import type { Tensor3D } from '@tensorflow/tfjs-core';
import type { Model } from '../src/index';
import { launchWithFakeCamera } from './fake-camera';
import { openRuntimePage, packUrl, type WebnetsWindow } from './runtime-fixtures';

const photo = '/shared/images/chelsea.png';

/** The page's webnets worker (the one running dist/webnets-worker.js), once it has started. */
async function webnetsWorker(page: Page): Promise<PageWorker> {
  await expect
    .poll(() => page.workers().filter((w) => w.url().includes('webnets-worker.js')).length)
    .toBeGreaterThan(0);
  return page.workers().find((w) => w.url().includes('webnets-worker.js'))!;
}

/** Resolves when `worker` has ended (Playwright sees its target close). */
function closed(worker: PageWorker): Promise<void> {
  return new Promise((done) => worker.once('close', () => done()));
}

test('every kind of source gives the logits of the main thread, and the caller keeps its objects', async ({
  playwright,
}, testInfo) => {
  // The fake camera plays chelsea.png, so a <video> of a camera is among the sources.
  const browser = await launchWithFakeCamera(playwright);
  try {
    const page = await browser.newPage({ baseURL: testInfo.project.use.baseURL });
    await openRuntimePage(page);
    const result = await page.evaluate(
      async ({ packUrl, photo }) => {
        const { load, tf } = (window as unknown as WebnetsWindow).webnets;
        const options = { weightsUrl: packUrl, backend: 'wasm' } as const;
        const [here, inWorker] = await Promise.all([
          load('fd-mobilenet-0.5x', options),
          load('fd-mobilenet-0.5x', { ...options, worker: true }),
        ]);
        const img = new Image();
        img.src = photo;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const imageData = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const offscreen = new OffscreenCanvas(canvas.width, canvas.height);
        offscreen.getContext('2d')!.drawImage(img, 0, 0);
        const bitmap = await createImageBitmap(img);
        const frame = new VideoFrame(canvas, { timestamp: 0 });
        const int32 = tf.browser.fromPixels(imageData);
        const float32 = tf.cast(int32, 'float32') as Tensor3D;
        const video = document.createElement('video');
        video.muted = true;
        video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
        await video.play();
        while (video.readyState < 2) await new Promise((r) => setTimeout(r, 20));
        const sources: [string, unknown][] = [
          ['ImageBitmap', bitmap],
          ['ImageData', imageData],
          ['HTMLImageElement', img],
          ['HTMLVideoElement (camera)', video],
          ['HTMLCanvasElement', canvas],
          ['OffscreenCanvas', offscreen],
          ['VideoFrame', frame],
          ['int32 tensor', int32],
          ['float32 tensor', float32],
        ];
        const rows: Record<string, { diff: number; top: number; topHere: number }> = {};
        for (const [name, source] of sources) {
          const a = await here.predict(source as ImageData);
          const b = await inWorker.predict(source as ImageData);
          const scale = Math.max(...a.map(Math.abs));
          const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / scale;
          const argmax = (l: Float32Array) => l.indexOf(Math.max(...l));
          rows[name] = { diff, top: argmax(b), topHere: argmax(a) };
        }
        const classes = await inWorker.classify(img, { topK: 3 });
        const features = await inWorker.embed(img);
        const featuresHere = await here.embed(img);
        // What the caller still has after its sources crossed to the worker.
        const usable = {
          bitmap: [bitmap.width, bitmap.height],
          imageData: imageData.data.length,
          frameOpen: frame.format !== null,
          canvas: ctx.getImageData(10, 10, 1, 1).data.join(','),
          offscreen: offscreen.width,
          tensors: [int32.isDisposed, float32.isDisposed],
          pageTensors: tf.engine().state.numTensors,
        };
        frame.close();
        bitmap.close();
        tf.dispose([int32, float32]);
        (video.srcObject as MediaStream).getTracks().forEach((t) => t.stop());
        const reasons = [here.backendReason, inWorker.backendReason];
        here.dispose();
        inWorker.dispose();
        return {
          rows,
          classes,
          embedDiff: Math.max(...featuresHere.map((v, i) => Math.abs(v - features[i]!))),
          usable,
          expectedPixel: imageData.data
            .slice((10 * canvas.width + 10) * 4, (10 * canvas.width + 10) * 4 + 4)
            .join(','),
          size: [canvas.width, canvas.height, canvas.width * canvas.height * 4],
          reasons,
        };
      },
      { packUrl, photo },
    );
    for (const [name, row] of Object.entries(result.rows)) {
      // Bit for bit: the same pixels through the same kernels. A camera frame crosses as a
      // VideoFrame the worker makes a bitmap of, where the page's own model draws the <video>
      // itself; both convert the frame from YUV alike here (2026-12, Chromium 156), but a
      // GPU's video path may round differently, hence its tolerance.
      if (name.includes('camera')) expect(row.diff, name).toBeLessThan(1e-3);
      else expect(row.diff, name).toBe(0);
      expect(row.top, name).toBe(285);
      expect(row.topHere, name).toBe(285);
    }
    expect(result.classes[0]).toMatchObject({ index: 285, label: 'Egyptian cat' });
    expect(result.classes).toHaveLength(3);
    expect(result.embedDiff).toBeLessThan(1e-5);
    const [width, height, bytes] = result.size;
    expect(result.usable).toEqual({
      bitmap: [width, height],
      imageData: bytes,
      frameOpen: true,
      canvas: result.expectedPixel,
      offscreen: width,
      tensors: [false, false],
      pageTensors: expect.any(Number),
    });
    expect(result.reasons[1]).toBe(result.reasons[0]);
  } finally {
    await browser.close();
  }
});

test.describe('worker mode', () => {
  test.beforeEach(async ({ page }) => {
    await openRuntimePage(page);
  });

  test('calls come back in order, one at a time, uncorrupted; a bad call fails alone; a canvas is read at its turn', async ({
    page,
  }) => {
    const result = await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      const model = await load('fd-mobilenet-0.25x', { synthetic: true, worker: true });
      const paint = (c: HTMLCanvasElement, i: number) => {
        const ctx = c.getContext('2d')!;
        ctx.fillStyle = `hsl(${i * 30}, 80%, 50%)`;
        ctx.fillRect(0, 0, c.width, c.height);
        ctx.fillStyle = '#fff';
        ctx.fillRect(i * 4, 10, 20, 60);
      };
      // Canvases and ImageData of growing and shrinking sizes (ImageData bytes go in a buffer
      // that the worker gives back and the next call reuses).
      const sources = Array.from({ length: 12 }, (_, i) => {
        const c = document.createElement('canvas');
        c.width = 96 + ((i * 5) % 12) * 8;
        c.height = 96;
        paint(c, i);
        return i % 2 === 0 ? c : c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      });
      const sequential: number[][] = [];
      for (const s of sources) sequential.push(Array.from(await model.predict(s)));
      const order: (number | string)[] = [];
      const calls = sources.map((s, i) =>
        (i === 5 ? model.predict('not an image' as unknown as ImageData) : model.predict(s)).then(
          (v) => {
            order.push(i);
            return Array.from(v);
          },
          (err: Error) => {
            order.push(`${i}: ${err.message}`);
            return null;
          },
        ),
      );
      // Canvas 10 is repainted while the calls ahead of it run: its call reads it at its
      // turn, as on the main thread.
      await calls[0];
      const repainted = sources[10] as HTMLCanvasElement;
      paint(repainted, 3);
      const overlapping = await Promise.all(calls);
      sequential[10] = Array.from(await model.predict(repainted));
      const maxDiff = Math.max(
        ...overlapping.map((logits, i) =>
          logits === null ? 0 : Math.max(...logits.map((v, j) => Math.abs(v - sequential[i]![j]!))),
        ),
      );
      model.dispose();
      return { order, maxDiff, distinct: new Set(sequential.map((l) => l[0])).size };
    });
    expect(result.order).toEqual([
      0,
      1,
      2,
      3,
      4,
      '5: predict: got string: expected an HTMLImageElement, HTMLVideoElement, HTMLCanvasElement, OffscreenCanvas, ImageBitmap, ImageData, VideoFrame, or an HWC tensor [height, width, 3] of 0–255 RGB',
      6,
      7,
      8,
      9,
      10,
      11,
    ]);
    expect(result.distinct).toBe(12);
    expect(result.maxDiff).toBe(0);
  });

  test('bad sources get the same messages as on the main thread; the model keeps working', async ({
    page,
  }) => {
    const result = await page.evaluate(async () => {
      const { load, tf } = (window as unknown as WebnetsWindow).webnets;
      const messagesOf = async (worker: boolean) => {
        const model = await load('fd-mobilenet-0.25x', { synthetic: true, worker });
        const notReady = document.createElement('video');
        const empty = document.createElement('canvas');
        empty.width = 0;
        const closed = await createImageBitmap(new ImageData(8, 8));
        closed.close();
        const painted = new OffscreenCanvas(8, 8);
        painted.getContext('2d')!.fillRect(0, 0, 8, 8);
        const closedFrame = new VideoFrame(painted, { timestamp: 0 });
        closedFrame.close();
        const rgba = tf.zeros([8, 8, 4]);
        const disposed = tf.zeros([8, 8, 3]);
        disposed.dispose();
        // An SVG without a size of its own: no ImageBitmap can be made of it.
        const svg = new Image();
        svg.src = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>')}`;
        await svg.decode();
        const messages: Record<string, string> = {};
        let working = 0;
        for (const [name, source] of [
          ['video', notReady],
          ['canvas', empty],
          ['bitmap', closed],
          ['frame', closedFrame],
          ['image', new Image()],
          ['tensor', rgba],
          ['disposed', disposed],
          ['object', { width: 8 }],
          ['svg', svg],
        ] as const) {
          messages[name] = await model.classify(source as unknown as ImageData).then(
            () => 'accepted',
            (err: Error) => `${err.constructor.name}: ${err.message}`,
          );
          working += (await model.classify(new ImageData(64, 48))).length;
        }
        rgba.dispose();
        model.dispose();
        return { messages, working };
      };
      return { here: await messagesOf(false), inWorker: await messagesOf(true) };
    });
    const { svg: svgHere, ...here } = result.here.messages;
    const { svg: svgInWorker, ...inWorker } = result.inWorker.messages;
    expect(inWorker).toEqual(here);
    expect(inWorker.video).toBe(
      "Error: classify: the HTMLVideoElement is not ready (readyState 0, HAVE_NOTHING): expected readyState ≥ 2 (HAVE_CURRENT_DATA); wait for its 'loadeddata' event",
    );
    expect(svgHere).toMatch(
      /^Error: classify: the HTMLImageElement \(data:image\/svg\+xml,.*, \d+ × \d+ pixels, .* MiB as RGBA\) could not be read \(.+\): expected an image the browser can decode/,
    );
    expect(svgInWorker).toMatch(
      /^Error: classify: the HTMLImageElement \(data:image\/svg\+xml,.*\) could not be copied into an ImageBitmap to send to the worker \(.+\): pass its pixels as an ImageData or a tensor instead \(scaled down if it is too large\)$/,
    );
    expect(result.inWorker.working).toBe(45);
  });

  test('weightsUrl relative to the page, onProgress, cache, threads and backend work as on the main thread', async ({
    page,
  }) => {
    const shards: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/packs/fd-mobilenet-0.5x/') && !r.url().endsWith('.json')) {
        shards.push(r.url());
      }
    });
    const result = await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      // Relative to the page (/e2e/pages/runtime.html), not to the worker's script in /dist/.
      const weightsUrl = '../../packs/fd-mobilenet-0.5x/model.json';
      const progress: [number, number][] = [];
      const first = await load('fd-mobilenet-0.5x', {
        weightsUrl,
        worker: true,
        cache: true,
        threads: 2,
        onProgress: ({ loaded, total }) => progress.push([loaded, total]),
      });
      const info = { ...first.info, labels: first.info.labels.length };
      const firstReason = first.backendReason;
      first.dispose();
      const cached = await load('fd-mobilenet-0.5x', {
        weightsUrl,
        worker: true,
        cache: true,
        threads: 1,
      });
      const cachedReason = cached.backendReason;
      cached.dispose();
      const cpu = await load('fd-mobilenet-0.25x', { synthetic: 3, worker: true, backend: 'cpu' });
      const cpuHere = await load('fd-mobilenet-0.25x', { synthetic: 3, backend: 'cpu' });
      const input = new ImageData(50, 40);
      input.data.fill(200);
      const [a, b] = [await cpu.predict(input), await cpuHere.predict(input)];
      const cpuState = [cpu.backend, cpu.backendReason, cpu.inputSize, cpu.info.synthetic];
      cpu.dispose();
      cpuHere.dispose();
      return {
        progress,
        info,
        firstReason,
        cachedReason,
        cpuState,
        cpuDiff: Math.max(...a.map((v, i) => Math.abs(v - b[i]!))),
      };
    });
    expect(result.progress.length).toBeGreaterThan(1);
    const last = result.progress.at(-1)!;
    expect(last[0]).toBe(last[1]);
    expect(
      result.progress.every(([loaded], i) => i === 0 || loaded >= result.progress[i - 1]![0]),
    ).toBe(true);
    expect(result.info).toMatchObject({
      family: 'fd-mobilenet',
      synthetic: false,
      labelSet: 'imagenet-1k',
      labels: 1000,
      source: { url: expect.stringMatching(/\/packs\/fd-mobilenet-0\.5x\/model\.json$/) },
    });
    // Each worker is a fresh WASM backend, so each load's threads apply.
    expect(result.firstReason).toMatch(/^wasm-simd \(2 threads\): /);
    expect(result.cachedReason).toMatch(/^wasm-simd \(1 thread\): /);
    // The shards were downloaded once: the second worker read the pack from IndexedDB.
    expect(new Set(shards).size).toBeGreaterThan(0);
    expect(shards.length).toBe(new Set(shards).size);
    expect(result.cpuState).toEqual(['cpu', "cpu: requested (backend: 'cpu')", 224, true]);
    expect(result.cpuDiff).toBe(0);
  });

  test('threads run in the worker when the page is cross-origin isolated (nested workers)', async ({
    page,
  }) => {
    const result = await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      // 40 M MACs run on one thread under 'auto'; threads: 2 splits its convs.
      const model = await load('fd-mobilenet-0.5x', { synthetic: true, worker: true, threads: 2 });
      const one = await load('fd-mobilenet-0.5x', { synthetic: true, worker: true, threads: 1 });
      const x = new ImageData(300, 200);
      for (let i = 0; i < x.data.length; i++) x.data[i] = (i * 7919) % 256;
      const [a, b] = [await model.predict(x), await one.predict(x)];
      const reasons = [model.backendReason, one.backendReason];
      model.dispose();
      one.dispose();
      return {
        reasons,
        isolated: crossOriginIsolated,
        diff: Math.max(...a.map((v, i) => Math.abs(v - b[i]!))),
      };
    });
    expect(result.isolated).toBe(true);
    // The label counts the kernel threads that started (instance.ts: 1 + the pool's
    // workers that instantiated the kernels on the shared memory).
    expect(result.reasons[0]).toMatch(/^wasm-simd \(2 threads\): /);
    expect(result.reasons[1]).toMatch(/^wasm-simd \(1 thread\): /);
    expect(result.diff).toBeLessThan(1e-4);
  });

  test('calibrate: measured in the worker, remembered in the page for the next worker', async ({
    page,
  }) => {
    const result = await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      const options = { synthetic: true, calibrate: true, worker: true } as const;
      const first = await load('fd-mobilenet-0.25x', options);
      const firstReason = first.backendReason;
      first.dispose();
      const keys = Object.keys(localStorage).filter((k) => k.startsWith('webnets.calibration'));
      const second = await load('fd-mobilenet-0.25x', options);
      const secondReason = second.backendReason;
      second.dispose();
      return { firstReason, secondReason, keys };
    });
    // Both backends ran the model in the worker (WebGPU on SwiftShader here): two times.
    expect(result.firstReason).toMatch(
      /calibrated on this device: (wasm [\d.]+ ms\/inference, webgpu|webgpu [\d.]+ ms\/inference, wasm) [\d.]+ ms\/inference$/,
    );
    expect(result.keys).toHaveLength(1);
    expect(result.secondReason).toMatch(/calibrated earlier on this device \(\d{4}-\d\d-\d\d\)/);
  });

  test('a load error crosses with its message; wasmPaths is resolved against the page', async ({
    page,
  }) => {
    const result = await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      const fail = (options: object) =>
        load('fd-mobilenet-0.25x', options).then(
          () => 'loaded',
          (err: Error) => `${err.constructor.name}: ${err.message}`,
        );
      return {
        missingHere: await fail({ weightsUrl: '/packs/none/model.json' }),
        missingInWorker: await fail({ weightsUrl: '/packs/none/model.json', worker: true }),
        wasmPaths: await fail({
          synthetic: true,
          backend: 'wasm',
          wasmPaths: '../nowhere/',
          worker: true,
        }),
        badOption: await fail({ synthetic: true, threads: 0, worker: true }),
        badWorker: await fail({ synthetic: true, worker: 'yes' }),
      };
    });
    expect(result.missingInWorker).toBe(result.missingHere);
    expect(result.missingInWorker).toMatch(/^Error: .*\/packs\/none\/model\.json/);
    expect(result.wasmPaths).toMatch(
      /^Error: wasm setup failed: the WASM backend failed to initialize: .* are served from http:\/\/localhost:\d+\/e2e\/nowhere\/ \(option wasmPaths\)/,
    );
    expect(result.badOption).toBe("Error: threads: expected a whole number ≥ 1 or 'auto', got 0");
    expect(result.badWorker).toBe(
      `Error: load('fd-mobilenet-0.25x'): worker is "yes": expected true or false`,
    );
  });

  test('abort during load ends the worker and rejects; an aborted signal starts none', async ({
    page,
  }) => {
    const started: PageWorker[] = [];
    page.on('worker', (w) => started.push(w));
    const result = await page.evaluate(async (packUrl) => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      const controller = new AbortController();
      const aborted = await load('fd-mobilenet-0.5x', {
        weightsUrl: packUrl,
        cache: false,
        worker: true,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }).then(
        () => 'loaded',
        (err: Error) => `${err.name}: ${err.message}`,
      );
      const before = AbortSignal.abort();
      const early = await load('fd-mobilenet-0.5x', {
        weightsUrl: packUrl,
        worker: true,
        signal: before,
      }).then(
        () => 'loaded',
        (err: Error) => `${err.name}: ${err.message}`,
      );
      // The page keeps working: the same load without the abort succeeds.
      const model = await load('fd-mobilenet-0.5x', { weightsUrl: packUrl, worker: true });
      const ok = (await model.classify(new ImageData(32, 32))).length;
      model.dispose();
      return { aborted, early, ok };
    }, packUrl);
    // Aborted while downloading, or between two steps of the load (as on the main thread).
    expect(result.aborted).toMatch(
      /^(Error: .*fd-mobilenet-0\.5x.*: download aborted|AbortError: signal is aborted without reason)$/,
    );
    expect(result.early).toBe('AbortError: signal is aborted without reason');
    expect(result.ok).toBe(5);
    // Two workers started (the aborted load's and the last one); both are gone.
    const webnetsWorkers = started.filter((w) => w.url().includes('webnets-worker.js'));
    expect(webnetsWorkers).toHaveLength(2);
    await expect
      .poll(() => page.workers().filter((w) => w.url().includes('webnets-worker.js')).length)
      .toBe(0);
  });

  test('dispose lets the call in flight finish, rejects the queued ones, and ends the worker', async ({
    page,
  }) => {
    await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      (window as unknown as { model: unknown }).model = await load('fd-mobilenet-0.25x', {
        synthetic: true,
        worker: true,
      });
    });
    const worker = await webnetsWorker(page);
    const ended = closed(worker);
    const result = await page.evaluate(async () => {
      const { tf } = (window as unknown as WebnetsWindow).webnets;
      const model = (window as unknown as { model: Model }).model;
      const before = tf.engine().state.numTensors;
      const input = new ImageData(64, 64);
      const running = model.predict(input).then(
        (v) => `resolved ${v.length}`,
        (err: Error) => err.message,
      );
      const queued = model.predict(input).then(
        (v) => `resolved ${v.length}`,
        (err: Error) => err.message,
      );
      await new Promise((r) => setTimeout(r, 0)); // the first call is on its way
      model.dispose();
      model.dispose(); // twice is fine
      const later = await model.classify(input).then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      return {
        running: await running,
        queued: await queued,
        later,
        tensors: tf.engine().state.numTensors - before,
      };
    });
    expect(result.running).toBe('resolved 1000');
    expect(result.queued).toBe("predict: the model 'fd-mobilenet-0.25x' was disposed");
    expect(result.later).toBe("classify: the model 'fd-mobilenet-0.25x' was disposed");
    expect(result.tensors).toBe(0);
    await ended;
  });
});

test.describe('a worker that dies', () => {
  test('terminated: the call in flight and the queued ones reject, the model says it is unusable, later calls reject at once', async ({
    page,
  }) => {
    // Keeps every Worker the page makes, so the test can terminate webnets' own.
    await page.addInitScript(() => {
      const made: Worker[] = [];
      (window as unknown as { workersMade: Worker[] }).workersMade = made;
      window.Worker = class extends Worker {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          made.push(this);
        }
      };
    });
    await openRuntimePage(page);
    const result = await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      const model = await load('fd-mobilenet-0.25x', { synthetic: true, worker: true });
      const reasonBefore = model.backendReason;
      const input = new ImageData(640, 480);
      const calls = Array.from({ length: 6 }, () =>
        model.predict(input).then(
          () => 'resolved',
          (err: Error) => err.message,
        ),
      );
      await new Promise((r) => setTimeout(r, 0));
      for (const w of (window as unknown as { workersMade: Worker[] }).workersMade) w.terminate();
      const settled = await Promise.all(calls);
      const started = performance.now();
      const later = await model.predict(input).then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      return {
        reasonBefore,
        settled,
        later,
        laterMs: performance.now() - started,
        reasonAfter: model.backendReason,
      };
    });
    const ended = "the model's worker ended (terminated, closed, or out of memory)";
    expect(result.reasonBefore).toMatch(/^wasm-simd/);
    // The call in flight and the five queued behind it.
    expect(result.settled).toEqual(
      Array(6).fill(`predict: ${ended}; the model is unusable: load it again`),
    );
    expect(result.later).toBe(`predict: ${ended}; the model is unusable: load it again`);
    expect(result.reasonAfter).toBe(`unusable: ${ended}`);
  });

  test('an uncaught error in the worker ends it; the calls say what it was', async ({ page }) => {
    await openRuntimePage(page);
    await page.evaluate(async () => {
      const { load } = (window as unknown as WebnetsWindow).webnets;
      (window as unknown as { model: unknown }).model = await load('fd-mobilenet-0.25x', {
        synthetic: true,
        worker: true,
      });
    });
    const worker = await webnetsWorker(page);
    const ended = closed(worker);
    await worker.evaluate(() => {
      setTimeout(() => {
        throw new Error('simulated crash');
      }, 0);
    });
    await ended;
    const result = await page.evaluate(async () => {
      const model = (window as unknown as { model: Model }).model;
      const message = await model.classify(new ImageData(8, 8)).then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      return { message, reason: model.backendReason };
    });
    const why =
      "the model's worker failed with an uncaught error (Uncaught Error: simulated crash)";
    expect(result.message).toBe(`classify: ${why}; the model is unusable: load it again`);
    expect(result.reason).toBe(`unusable: ${why}`);
  });

  test('a worker script that does not load (404) fails load with what to serve', async ({
    page,
  }) => {
    await page.route('**/webnets-worker.js*', (route) =>
      route.fulfill({ status: 404, body: 'not found' }),
    );
    await openRuntimePage(page);
    const message = await page.evaluate(() =>
      (window as unknown as WebnetsWindow).webnets
        .load('fd-mobilenet-0.25x', { synthetic: true, worker: true })
        .then(
          () => 'loaded',
          (err: Error) => err.message,
        ),
    );
    expect(message).toBe(
      "load('fd-mobilenet-0.25x', { worker: true }): the worker script webnets-worker.js could not be loaded (a 404, a wrong MIME type, a network or syntax error): serve it next to webnets.js (`npm run build` writes dist/webnets-worker.js), or bundle webnets with your app so the bundler emits it",
    );
  });

  test('no Worker in the page: load says what is missing and what to do', async ({ page }) => {
    await page.addInitScript(() => {
      delete (window as { Worker?: unknown }).Worker;
    });
    await openRuntimePage(page);
    const message = await page.evaluate(() =>
      (window as unknown as WebnetsWindow).webnets
        .load('fd-mobilenet-0.25x', { synthetic: true, worker: true })
        .then(
          () => 'loaded',
          (err: Error) => err.message,
        ),
    );
    expect(message).toBe(
      "load('fd-mobilenet-0.25x', { worker: true }): worker mode needs Web Workers, and globalThis.Worker is undefined: load without worker: true to run the model on this thread",
    );
  });
});
