/**
 * The latency page's runner: loaded in a fresh iframe for one (model, backend
 * configuration) cell, so the WASM thread count and every backend start from scratch.
 * Loads the model, times it, and reports to the parent page with postMessage.
 */
import type { RunnerMessage } from './lib/latency-plan';
import { RUNNER_MESSAGE_SOURCE, parseRunnerQuery } from './lib/latency-plan';
import { pretrainedLoadOptions } from './lib/pretrained';
import { importWebnets } from './ui/api';

type Payload = RunnerMessage extends infer M
  ? M extends unknown
    ? Omit<M, 'source'>
    : never
  : never;

function post(message: Payload): void {
  window.parent.postMessage({ source: RUNNER_MESSAGE_SOURCE, ...message }, location.origin);
}

/** A camera-sized test picture (the SDK resizes and crops it as it would a frame). */
function testImage(): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 480;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('latency runner: no 2D canvas context');
  const gradient = ctx.createLinearGradient(0, 0, 640, 480);
  gradient.addColorStop(0, '#c0392b');
  gradient.addColorStop(0.5, '#f1c40f');
  gradient.addColorStop(1, '#2980b9');
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, 640, 480);
  ctx.fillStyle = '#1b1f27';
  for (let i = 0; i < 12; i++) ctx.fillRect(40 + i * 48, 120 + ((i * 37) % 200), 24, 120);
  return canvas;
}

async function run(): Promise<void> {
  const params = parseRunnerQuery(location.search);
  const input = testImage();
  post({ type: 'progress', phase: 'loading', done: 0, total: params.warmup + params.runs });
  const api = await importWebnets();
  const started = performance.now();
  const model = await api.load(params.model, {
    backend: params.backend,
    ...(params.threads !== undefined ? { threads: params.threads } : {}),
    ...(params.weightsUrl !== null
      ? { weightsUrl: params.weightsUrl }
      : params.pretrained !== null
        ? pretrainedLoadOptions(params.model, params.pretrained)
        : { synthetic: true }),
  });
  try {
    await model.classify(input);
    const timeToFirstMs = performance.now() - started;
    const total = params.warmup + params.runs;
    for (let i = 0; i < params.warmup; i++) {
      await model.classify(input);
      post({ type: 'progress', phase: 'warmup', done: i + 1, total });
    }
    const samplesMs: number[] = [];
    for (let i = 0; i < params.runs; i++) {
      const t0 = performance.now();
      await model.classify(input);
      samplesMs.push(performance.now() - t0);
      post({ type: 'progress', phase: 'timing', done: params.warmup + i + 1, total });
    }
    post({
      type: 'result',
      result: {
        modelId: params.model,
        configKey: params.key,
        backend: model.backend,
        backendReason: model.backendReason,
        synthetic: model.info.synthetic,
        timeToFirstMs,
        samplesMs,
      },
    });
  } finally {
    model.dispose();
  }
}

// An error outside the awaited chain (e.g. a WASM worker failing to start) would leave
// `load` pending forever: report it at once rather than wait for the host's time-out.
window.addEventListener('error', (event) => {
  // A worker's failure arrives as an ErrorEvent wrapped in another: its own message is inside.
  const inner = (event.error as { message?: unknown } | null)?.message;
  const what = typeof inner === 'string' && inner ? inner : event.message;
  post({ type: 'error', message: `uncaught error in the runner page: ${what}` });
});
window.addEventListener('unhandledrejection', (event) => {
  post({
    type: 'error',
    message: `unhandled rejection in the runner page: ${String(event.reason)}`,
  });
});

run().catch((error: unknown) => {
  post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
});
