/**
 * `precision: 'float16'` where it cannot run, in real Chromium: on a WebGPU adapter without
 * shader-f16 (SwiftShader's, with the feature also struck from what the adapter reports, so
 * the premise holds whatever SwiftShader offers) the model runs float32, the same logits as
 * a float32 load, and says why; on WASM likewise; in worker mode the option crosses to the
 * worker; a bad value fails `load` (and `isCached`) naming the option and its values.
 * Where float16 does run (an adapter with shader-f16): test/webgpu/float16.dawn.test.ts (Dawn).
 */
import { expect, test } from '@playwright/test';
import { openRuntimePage, type WebnetsWindow } from './runtime-fixtures';

/** Init script: adapters do not offer shader-f16 (as SwiftShader's and many GPUs' do not). */
function withoutShaderF16(): void {
  const gpuProto = (globalThis as unknown as { GPU: { prototype: Record<string, unknown> } }).GPU
    .prototype;
  const requestAdapter = gpuProto.requestAdapter as (...args: unknown[]) => Promise<object | null>;
  gpuProto.requestAdapter = async function (this: unknown, ...args: unknown[]) {
    const adapter = (await requestAdapter.apply(this, args)) as { features: Set<string> } | null;
    if (adapter) {
      const features = new Set([...adapter.features].filter((f) => f !== 'shader-f16'));
      Object.defineProperty(adapter, 'features', { value: features });
    }
    return adapter;
  };
}

const values = "precision: expected 'float32' or 'float16', got \"half\"";

test("precision: 'float16' without shader-f16 runs float32 and says why; a bad value is named", async ({
  page,
}) => {
  await page.addInitScript(withoutShaderF16);
  await openRuntimePage(page);
  const result = await page.evaluate(async () => {
    const { load, isCached } = (window as unknown as WebnetsWindow).webnets;
    const picture = new ImageData(32, 32);
    for (let i = 0; i < picture.data.length; i++) picture.data[i] = (i * 37) % 251;
    const id = 'fd-mobilenet-0.25x';
    const describe = (m: { precision: string; backend: string; backendReason: string }) => ({
      precision: m.precision,
      backend: m.backend,
      reason: m.backendReason,
    });
    const half = await load(id, { synthetic: true, backend: 'webgpu', precision: 'float16' });
    const full = await load(id, { synthetic: true, backend: 'webgpu' });
    const same =
      JSON.stringify(Array.from(await half.predict(picture))) ===
      JSON.stringify(Array.from(await full.predict(picture)));
    const wasm = await load(id, { synthetic: true, backend: 'wasm', precision: 'float16' });
    const inWorker = await load(id, {
      synthetic: true,
      backend: 'wasm',
      precision: 'float16',
      worker: true,
    });
    const bad = { precision: 'half' as 'float16' };
    const error = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: Error) => e.message,
      );
    const out = {
      half: describe(half),
      full: describe(full),
      same,
      wasm: describe(wasm),
      inWorker: describe(inWorker),
      errors: [
        await error(load(id, { synthetic: true, ...bad })),
        await error(load(id, { synthetic: true, worker: true, ...bad })),
        await error(isCached(id, { weightsUrl: '/packs/none/model.json', ...bad })),
      ],
    };
    for (const m of [half, full, wasm, inWorker]) m.dispose();
    return out;
  });
  expect(result.half).toEqual({
    precision: 'float32',
    backend: 'webgpu',
    reason:
      "webgpu: requested (backend: 'webgpu'); float32: precision 'float16' needs WebGPU's shader-f16, which this adapter lacks",
  });
  expect(result.full).toEqual({
    precision: 'float32',
    backend: 'webgpu',
    reason: "webgpu: requested (backend: 'webgpu')",
  });
  expect(result.same, 'the float16 load runs float32: the same logits').toBe(true);
  for (const m of [result.wasm, result.inWorker]) {
    expect(m.precision).toBe('float32');
    expect(m.reason).toMatch(
      /^wasm-simd \(1 thread[^)]*\): requested \(backend: 'wasm'\); float32: precision 'float16' runs on WebGPU only, this model runs on wasm$/,
    );
  }
  expect(result.errors).toEqual([values, values, values]);
});
