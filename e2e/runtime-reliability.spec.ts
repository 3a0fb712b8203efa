/**
 * The model object in real Chromium: every kind of source, no tensor leaks over 200
 * calls, overlapping calls, bad sources refused clearly, and WebGPU device loss.
 */
import { expect, test } from '@playwright/test';
import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import type { WebnetsWindow } from './runtime-fixtures';
import { openRuntimePage } from './runtime-fixtures';

test.beforeEach(async ({ page }) => {
  await openRuntimePage(page);
});

test('every kind of source gives the logits of the same pixels as a tensor', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { load, tf } = (window as unknown as WebnetsWindow).webnets;
    const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'wasm' });
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext('2d')!;
    const gradient = ctx.createLinearGradient(0, 0, 320, 240);
    gradient.addColorStop(0, '#d03020');
    gradient.addColorStop(1, '#20a0e0');
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, 320, 240);
    ctx.fillStyle = '#ffe040';
    ctx.fillRect(100, 60, 90, 120);
    const imageData = ctx.getImageData(0, 0, 320, 240);
    const pixels = tf.browser.fromPixels(imageData);
    const reference = await model.predict(pixels);

    const img = new Image();
    img.src = canvas.toDataURL('image/png');
    await img.decode();
    img.width = 80; // a layout size must not change what is read
    const offscreen = new OffscreenCanvas(320, 240);
    offscreen.getContext('2d')!.putImageData(imageData, 0, 0);
    const bitmap = await createImageBitmap(imageData);
    const frame = new VideoFrame(canvas, { timestamp: 0 });
    const sources: [string, unknown][] = [
      ['ImageData', imageData],
      ['HTMLCanvasElement', canvas],
      ['OffscreenCanvas', offscreen],
      ['ImageBitmap', bitmap],
      ['HTMLImageElement', img],
      ['VideoFrame', frame],
      ['float32 tensor', tf.cast(pixels, 'float32')],
    ];
    const diffs: Record<string, number> = {};
    for (const [name, source] of sources) {
      const logits = await model.predict(source as ImageData);
      diffs[name] = Math.max(...logits.map((v, i) => Math.abs(v - reference[i]!)));
    }
    frame.close();
    bitmap.close();
    tf.dispose([pixels, sources[6]![1] as Tensor]);

    // A playing video (a canvas stream): frames go through the video pipeline (YUV), so
    // only check it is read and classified. The stream emits a frame when the canvas is
    // painted, so keep painting it until the video has one.
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = canvas.captureStream(30);
    const repaint = setInterval(() => ctx.putImageData(imageData, 0, 0), 30);
    await video.play();
    while (video.readyState < 2) await new Promise((r) => setTimeout(r, 20));
    const videoTop = await model.classify(video);
    clearInterval(repaint);
    video.pause();
    model.dispose();
    return { diffs, videoClasses: videoTop.length };
  });
  for (const [name, diff] of Object.entries(result.diffs)) {
    expect(diff, name).toBeLessThan(1e-5);
  }
  expect(result.videoClasses).toBe(5);
});

// WASM draws the canvas onto webnets' readback canvas; WebGPU hands it to tfjs' GPU copy.
for (const backend of ['wasm', 'webgpu'] as const) {
  test(`a WebGL canvas is read as it shows on ${backend} (no 2d context of its own)`, async ({
    page,
  }) => {
    const diff = await page.evaluate(async (backend) => {
      const { load, tf } = (window as unknown as WebnetsWindow).webnets;
      const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend });
      const canvas = document.createElement('canvas');
      canvas.width = 200;
      canvas.height = 150;
      const gl = canvas.getContext('webgl', { preserveDrawingBuffer: true })!;
      // 0.2, 0.6, 0.4 are 51, 153, 102 exactly in 8 bits.
      gl.clearColor(0.2, 0.6, 0.4, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
      const solid = tf.tidy(() =>
        tf.mul<Tensor3D>(tf.ones([150, 200, 3]), tf.tensor1d([51, 153, 102])),
      );
      const reference = await model.predict(solid);
      const logits = await model.predict(canvas);
      tf.dispose(solid);
      model.dispose();
      return Math.max(...logits.map((v, i) => Math.abs(v - reference[i]!)));
    }, backend);
    expect(diff).toBeLessThan(1e-5);
  });
}

test('an HD frame (shrunk more than 2×) from ImageData, a canvas or a bitmap gives the logits of its tensor on WASM', async ({
  page,
}) => {
  const diffs = await page.evaluate(async () => {
    const { load, tf } = (window as unknown as WebnetsWindow).webnets;
    const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'wasm' });
    // 1283×721: shrunk 2× (floor(721 / 256)) from a centred 1282×720 region, odd remainders.
    const canvas = document.createElement('canvas');
    canvas.width = 1283;
    canvas.height = 721;
    const ctx = canvas.getContext('2d')!;
    // Opaque: a bitmap of translucent pixels is premultiplied, which changes their RGB.
    ctx.fillStyle = '#3a6b2c';
    ctx.fillRect(0, 0, 1283, 721);
    for (let i = 0; i < 400; i++) {
      ctx.fillStyle = `hsla(${(i * 47) % 360}, 70%, ${30 + (i % 5) * 10}%, ${0.3 + (i % 7) / 10})`;
      ctx.fillRect((i * 97) % 1200, (i * 61) % 680, 20 + (i % 9) * 9, 15 + (i % 11) * 7);
    }
    const imageData = ctx.getImageData(0, 0, 1283, 721);
    const pixels = tf.browser.fromPixels(imageData);
    const reference = await model.predict(pixels);
    const bitmap = await createImageBitmap(imageData);
    const diffs: Record<string, number> = {};
    for (const [name, source] of [
      ['ImageData', imageData],
      ['HTMLCanvasElement', canvas],
      ['ImageBitmap', bitmap],
    ] as const) {
      const logits = await model.predict(source);
      diffs[name] = Math.max(...logits.map((v, i) => Math.abs(v - reference[i]!)));
    }
    bitmap.close();
    pixels.dispose();
    model.dispose();
    return diffs;
  });
  expect(Object.keys(diffs)).toHaveLength(3);
  for (const [name, diff] of Object.entries(diffs)) expect(diff, name).toBeLessThan(1e-5);
});

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`no tensor leaks on ${backend}: 200 classify calls, then dispose returns to the count before load`, async ({
    page,
  }) => {
    const counts = await page.evaluate(async (backend) => {
      const { load, tf } = (window as unknown as WebnetsWindow).webnets;
      // tf.memory() needs a backend; the engine's own counter does not.
      const count = () => tf.engine().state.numTensors;
      const canvas = document.createElement('canvas');
      canvas.width = 160;
      canvas.height = 120;
      canvas.getContext('2d')!.fillRect(10, 10, 50, 50);
      const before = count();
      const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend });
      const loaded = count();
      for (let i = 0; i < 200; i++) await model.classify(canvas);
      const after = count();
      model.dispose();
      return { before, loaded, after, disposed: count(), backend: model.backend };
    }, backend);
    expect(counts.backend).toBe(backend);
    expect(counts.after).toBe(counts.loaded);
    expect(counts.disposed).toBe(counts.before);
  });
}

test('overlapping calls (a render loop faster than inference) come back in order, uncorrupted', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const { load } = (window as unknown as WebnetsWindow).webnets;
    const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'webgpu' });
    const canvases = Array.from({ length: 16 }, (_, i) => {
      const c = document.createElement('canvas');
      c.width = 96 + i * 8;
      c.height = 96;
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = `hsl(${i * 22}, 80%, 50%)`;
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.fillStyle = '#fff';
      ctx.fillRect(i * 4, 10, 20, 60);
      return c;
    });
    const sequential: number[][] = [];
    for (const c of canvases) sequential.push(Array.from(await model.predict(c)));
    const order: number[] = [];
    const overlapping = await Promise.all(
      canvases.map((c, i) =>
        model.predict(c).then((v) => {
          order.push(i);
          return Array.from(v);
        }),
      ),
    );
    const maxDiff = Math.max(
      ...overlapping.map((logits, i) =>
        Math.max(...logits.map((v, j) => Math.abs(v - sequential[i]![j]!))),
      ),
    );
    const distinct = new Set(sequential.map((l) => l[0])).size;
    model.dispose();
    return { order, maxDiff, distinct };
  });
  expect(result.order).toEqual(Array.from({ length: 16 }, (_, i) => i));
  expect(result.distinct).toBe(16); // the inputs really differ, so a mix-up would show
  expect(result.maxDiff).toBe(0);
});

test('bad sources are refused with what was wrong and what is expected; the model keeps working', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const { load, tf } = (window as unknown as WebnetsWindow).webnets;
    const model = await load('fd-mobilenet-0.25x', { synthetic: true });
    const notReady = document.createElement('video'); // no source: readyState 0
    const empty = document.createElement('canvas');
    empty.width = 0;
    const closed = await createImageBitmap(new ImageData(8, 8));
    closed.close();
    const painted = new OffscreenCanvas(8, 8);
    painted.getContext('2d')!.fillRect(0, 0, 8, 8);
    const closedFrame = new VideoFrame(painted, { timestamp: 0 });
    closedFrame.close();
    const unloaded = new Image();
    const rgba = tf.zeros([8, 8, 4]);
    const good = new ImageData(64, 48);
    const messages: Record<string, string> = {};
    const after: Record<string, number> = {};
    for (const [name, source] of [
      ['video', notReady],
      ['canvas', empty],
      ['bitmap', closed],
      ['frame', closedFrame],
      ['image', unloaded],
      ['tensor', rgba],
    ] as const) {
      messages[name] = await model.classify(source as unknown as ImageData).then(
        () => 'accepted',
        (err: Error) => err.message,
      );
      after[name] = (await model.classify(good)).length;
    }
    rgba.dispose();
    model.dispose();
    return { messages, after };
  });
  expect(result.messages).toEqual({
    video:
      "classify: the HTMLVideoElement is not ready (readyState 0, HAVE_NOTHING): expected readyState ≥ 2 (HAVE_CURRENT_DATA); wait for its 'loadeddata' event",
    canvas:
      'classify: the HTMLCanvasElement is 0 × 150 pixels: expected a canvas with width and height ≥ 1',
    bitmap:
      'classify: the ImageBitmap is 0 × 0 pixels: it was closed or transferred (or is empty); expected an open ImageBitmap with pixels',
    frame:
      'classify: the VideoFrame is closed: expected an open VideoFrame (close it after the call)',
    image:
      "classify: the HTMLImageElement is not loaded (complete: true, naturalWidth: 0, src: ''): expected a decoded image; await img.decode() first",
    tensor:
      'classify: the input tensor has shape [8, 8, 4] (rank 3): expected an HWC tensor [height, width, 3] of 0–255 RGB',
  });
  expect(Object.values(result.after)).toEqual([5, 5, 5, 5, 5, 5]);
});

test('an image or canvas larger than the browser can decode or hold is refused naming it; the model keeps working', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const { load } = (window as unknown as WebnetsWindow).webnets;
    const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'wasm' });
    const side = 70_000; // 18 GiB of RGBA: no browser holds it as a bitmap
    const svg = new Image();
    svg.src = `data:image/svg+xml,${encodeURIComponent(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="${side}" height="${side}" fill="red"/></svg>`,
    )}`;
    await svg.decode(); // an SVG decodes at any size: its pixels are made when drawn
    const canvas = document.createElement('canvas');
    canvas.width = side;
    canvas.height = side;
    const good = new ImageData(64, 48);
    const before = await model.classify(good);
    const messages: Record<string, string> = {};
    const after: Record<string, unknown> = {};
    for (const [name, source] of [
      ['image', svg],
      ['canvas', canvas],
    ] as const) {
      messages[name] = await model.classify(source).then(
        () => 'accepted',
        (err: Error) => err.message,
      );
      after[name] = await model.classify(good);
    }
    model.dispose();
    return { messages, after, before };
  });
  expect(result.messages.image).toMatch(
    /^classify: the HTMLImageElement \(data:image\/svg\+xml,%3Csvg.{20,70}…, 70000 × 70000 pixels, 18692 MiB as RGBA\) could not be read \(.+\): expected an image the browser can decode and hold in memory; scale it down first$/,
  );
  expect(result.messages.canvas).toMatch(
    /^classify: the HTMLCanvasElement \(70000 × 70000 pixels, 18692 MiB as RGBA\) could not be read \(.+\): expected an image the browser can decode and hold in memory; scale it down first$/,
  );
  expect(result.after).toEqual({ image: result.before, canvas: result.before });
});

test('a lost WebGPU device moves the model to WASM, which says why and keeps answering', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const { load, tf } = (window as unknown as WebnetsWindow).webnets;
    const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'webgpu' });
    const image = new ImageData(64, 64);
    image.data.fill(200);
    const before = Array.from(await model.predict(image));
    const backendBefore = model.backend;
    const gpu = tf.engine().registry['webgpu'] as unknown as { device: { destroy(): void } };
    gpu.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const after = Array.from(await model.predict(image));
    const out = {
      backendBefore,
      backendAfter: model.backend,
      reason: model.backendReason,
      maxDiff: Math.max(...after.map((v, i) => Math.abs(v - before[i]!))),
    };
    model.dispose();
    return out;
  });
  expect(result.backendBefore).toBe('webgpu');
  expect(result.backendAfter).toBe('wasm');
  expect(result.reason).toMatch(
    /^wasm-simd \(\d+ threads?(, [^)]*)?\): fell back from WebGPU: the WebGPU device was lost \(destroyed/,
  );
  expect(result.maxDiff).toBeLessThan(1e-3);
});
