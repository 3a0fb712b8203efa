/**
 * What worker mode costs and saves the page's thread (driven by bench/worker/run.ts):
 *
 * 1. `sources`: the one step of a worker-mode call that stays on the page (src/runtime/
 *    worker/wire.ts) — a <video>'s frame made a VideoFrame, an <img> or a canvas made an
 *    ImageBitmap, an ImageData copied into a reused buffer, … — and the alternatives it was
 *    chosen over, timed at camera sizes. `syncMs`: the page's thread blocked in the step
 *    itself; `readyMs`: until its result is there (a bitmap, or a buffer back from a worker).
 * 2. `blocking`: the same model classifying a camera <video> on the page's thread and in a
 *    worker, one call per new video frame as the demo does, in alternating blocks; meanwhile
 *    requestAnimationFrame records the page's frame intervals. Inference latency beside the
 *    page's frame time is what the demo shows. (Calls back to back without waiting for a
 *    frame never let a main-thread page render at all: WASM's results resolve in microtasks.)
 */
import type * as Webnets from '../../src/index';
import { median, quantile } from '../../src/numeric';
import { picture } from '../lib/picture';

export interface SourceCostRow {
  size: string;
  step: string;
  syncMs: number;
  readyMs: number;
}

export interface BlockingRow {
  mode: 'main thread' | 'worker';
  /** classify() latency, median. */
  inferenceMs: number;
  /** Intervals between requestAnimationFrame callbacks during the calls: median, p95, max. */
  frameMs: { median: number; p95: number; max: number };
  /** Share of frame intervals above 50 ms (a long task's threshold). */
  longFrames: number;
  backendReason: string;
}

const webnetsUrl = '/dist/webnets.js';

async function importWebnets(): Promise<typeof Webnets> {
  return (await import(/* @vite-ignore */ webnetsUrl)) as typeof Webnets;
}

async function camera(width: number, height: number): Promise<HTMLVideoElement> {
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = await navigator.mediaDevices.getUserMedia({
    video: { width: { exact: width }, height: { exact: height } },
  });
  await video.play();
  while (video.readyState < 2) await new Promise((r) => setTimeout(r, 10));
  if (video.videoWidth !== width || video.videoHeight !== height) {
    throw new Error(
      `the camera gave ${video.videoWidth}×${video.videoHeight}, not ${width}×${height}`,
    );
  }
  return video;
}

function stopCamera(video: HTMLVideoElement): void {
  (video.srcObject as MediaStream).getTracks().forEach((t) => t.stop());
}

async function image(canvas: HTMLCanvasElement): Promise<HTMLImageElement> {
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'),
  );
  const img = new Image();
  img.src = URL.createObjectURL(blob);
  await img.decode();
  return img;
}

/** A worker that sends back what it gets (a buffer goes back and forth, as with webnets' worker). */
function echo(): Worker {
  const source =
    'onmessage = ({ data }) => postMessage(data, data instanceof ArrayBuffer ? [data] : []);';
  return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
}

function echoed(worker: Worker): Promise<unknown> {
  return new Promise((resolve) =>
    worker.addEventListener('message', (e) => resolve(e.data), { once: true }),
  );
}

async function timed(
  step: () => Promise<unknown> | unknown,
  release: (made: unknown) => void,
  runs: number,
): Promise<{ syncMs: number; readyMs: number }> {
  const sync: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const start = performance.now();
    const pending = step();
    const returned = performance.now();
    const made = await pending;
    const done = performance.now();
    release(made);
    if (i >= 3) {
      sync.push(returned - start);
      ready.push(done - start);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { syncMs: median(sync), readyMs: median(ready) };
}

async function sources(sizes: [number, number][], runs: number): Promise<SourceCostRow[]> {
  const rows: SourceCostRow[] = [];
  const target = echo();
  let spare = new ArrayBuffer(0);
  const close = (made: unknown) => (made as ImageBitmap | VideoFrame | undefined)?.close?.();
  try {
    for (const [width, height] of sizes) {
      const size = `${width}×${height}`;
      const video = await camera(width, height);
      const canvas = picture(width, height);
      const img = await image(canvas);
      const offscreen = new OffscreenCanvas(width, height);
      offscreen.getContext('2d')!.drawImage(canvas, 0, 0);
      const bitmap = await createImageBitmap(canvas);
      const imageData = canvas.getContext('2d')!.getImageData(0, 0, width, height);
      const frame = new VideoFrame(canvas, { timestamp: 0 });
      // webnets' step for each kind of source (wire.ts), then the alternatives it was chosen over.
      const steps: [string, () => unknown][] = [
        ['<video> (camera) → VideoFrame', () => new VideoFrame(video)],
        ['<img> → ImageBitmap', () => createImageBitmap(img)],
        ['<canvas> → ImageBitmap', () => createImageBitmap(canvas)],
        ['OffscreenCanvas → ImageBitmap', () => createImageBitmap(offscreen)],
        ['ImageBitmap → its copy', () => createImageBitmap(bitmap)],
        [
          'ImageData → reused buffer, transfer',
          () => {
            if (spare.byteLength < imageData.data.byteLength)
              spare = new ArrayBuffer(imageData.data.byteLength);
            new Uint8ClampedArray(spare, 0, imageData.data.length).set(imageData.data);
            const back = echoed(target).then((b) => (spare = b as ArrayBuffer));
            target.postMessage(spare, [spare]);
            return back;
          },
        ],
        ['VideoFrame → clone()', () => frame.clone()],
        ['alt: <video> → ImageBitmap', () => createImageBitmap(video)],
        ['alt: <img> → VideoFrame', () => new VideoFrame(img, { timestamp: 0 })],
        [
          'alt: ImageData → postMessage clone',
          () => {
            const back = echoed(target);
            target.postMessage(imageData);
            return back;
          },
        ],
        [
          'alt: ImageData → new copy, transfer',
          () => {
            const copy = new Uint8ClampedArray(imageData.data);
            const back = echoed(target);
            target.postMessage(copy.buffer, [copy.buffer]);
            return back;
          },
        ],
        ['alt: ImageData → ImageBitmap', () => createImageBitmap(imageData)],
      ];
      for (const [step, run] of steps)
        rows.push({ size, step, ...(await timed(run, close, runs)) });
      stopCamera(video);
      frame.close();
      bitmap.close();
      URL.revokeObjectURL(img.src);
    }
  } finally {
    target.terminate();
  }
  return rows;
}

/** Frame intervals recorded by requestAnimationFrame while `work` runs. */
async function framesDuring(work: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let running = true;
  const tick = (t: number) => {
    times.push(t);
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  await work();
  running = false;
  return times.slice(1).map((t, i) => t - times[i]!);
}

async function blocking(
  model: string,
  size: [number, number],
  inferences: number,
  blocks: number,
): Promise<BlockingRow[]> {
  const { load } = await importWebnets();
  const video = await camera(...size);
  const options = { synthetic: true, backend: 'wasm' } as const;
  const models = {
    'main thread': await load(model, options),
    worker: await load(model, { ...options, worker: true }),
  };
  const latency: Record<string, number[]> = { 'main thread': [], worker: [] };
  const frames: Record<string, number[]> = { 'main thread': [], worker: [] };
  try {
    for (const m of Object.values(models)) for (let i = 0; i < 3; i++) await m.classify(video);
    for (let b = 0; b < blocks; b++) {
      for (const mode of ['main thread', 'worker'] as const) {
        const intervals = await framesDuring(async () => {
          for (let i = 0; i < inferences; i++) {
            // As the demo's frame loop: one call per new camera frame.
            await new Promise((r) => video.requestVideoFrameCallback(r));
            const start = performance.now();
            await models[mode].classify(video);
            latency[mode]!.push(performance.now() - start);
          }
        });
        frames[mode]!.push(...intervals);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return (['main thread', 'worker'] as const).map((mode) => ({
      mode,
      inferenceMs: median(latency[mode]!),
      frameMs: {
        median: median(frames[mode]!),
        p95: quantile(frames[mode]!, 0.95),
        max: Math.max(...frames[mode]!),
      },
      longFrames: frames[mode]!.filter((ms) => ms > 50).length / frames[mode]!.length,
      backendReason: models[mode].backendReason,
    }));
  } finally {
    for (const m of Object.values(models)) m.dispose();
    stopCamera(video);
  }
}

(window as unknown as { workerBench: unknown }).workerBench = { sources, blocking };
