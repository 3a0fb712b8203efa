/**
 * Shared by the runtime's browser tests: the page that exposes the public API, init
 * scripts that make Chromium's WebGPU look like other machines, and where the test data is.
 */
import { resolve } from 'node:path';
import type { Page } from '@playwright/test';
import type * as Webnets from '../src/index';
import type { Internals } from './pages/internals-page';

/** The runtime page's window: `webnets` holds the exports of dist/webnets.js. */
export interface WebnetsWindow {
  webnets: typeof Webnets;
}

/** The internals page's window: the API and the internals, both from the sources. */
export interface InternalsWindow extends WebnetsWindow {
  internals: Internals;
}

/**
 * Pages built from the sources by Vite: tfjs' loader looks for its .wasm binaries next to
 * the page or the module asking (not next to dist/webnets.js, where the build puts them):
 * serve every such request from dist/.
 */
export async function serveTfjsWasm(page: Page): Promise<void> {
  // Vite turns a source module's `new URL('./', import.meta.url)` into its folder's path
  // without the final '/', so the binary's name may follow the folder's name directly.
  const binary = /(tfjs-backend-wasm(?:-simd|-threaded-simd)?\.wasm)$/;
  await page.route(binary, (route) => {
    const name = binary.exec(new URL(route.request().url()).pathname)?.[1] ?? '';
    return route.fulfill({ path: `dist/${name}`, contentType: 'application/wasm' });
  });
}

/**
 * Opens the page whose module script puts the public API (from the sources) on
 * window.webnets and what tests inspect on window.internals (e2e/pages/internals-page.ts).
 */
export async function openInternalsPage(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await serveTfjsWasm(page);
  await page.goto('/e2e/pages/internals.html');
  await page.waitForFunction(() => document.getElementById('out')?.textContent === 'ready', null, {
    timeout: 60_000,
  });
  if (errors.length > 0) throw new Error(`internals page errors: ${errors.join('; ')}`);
}

/**
 * Opens the WebGPU kernels' page (e2e/pages/webgpu-page.ts: the API and the kernels' internals,
 * from the sources). Returns the page's errors, collected from the start and still collecting,
 * for the test to check at its end; any before 'ready' fail here.
 */
export async function openWebGpuPage(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await serveTfjsWasm(page);
  await page.goto('/e2e/pages/webgpu.html');
  await page.waitForFunction(() => document.getElementById('out')?.textContent === 'ready', null, {
    timeout: 60_000,
  });
  if (errors.length > 0) throw new Error(`webgpu page errors: ${errors.join('; ')}`);
  return errors;
}

/** Opens the page whose module script puts `dist/webnets.js`'s exports on window.webnets. */
export async function openRuntimePage(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/e2e/pages/runtime.html');
  await page.waitForFunction(() => document.getElementById('out')?.textContent === 'ready', null, {
    timeout: 30_000,
  });
  if (errors.length > 0) throw new Error(`runtime page errors: ${errors.join('; ')}`);
}

/** Init script: every adapter's info says it is this GPU (the real adapter still runs). */
export function spoofAdapterInfo(info: {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}): void {
  const gpuProto = (globalThis as unknown as { GPU: { prototype: Record<string, unknown> } }).GPU
    .prototype;
  const requestAdapter = gpuProto.requestAdapter as (...args: unknown[]) => Promise<object | null>;
  gpuProto.requestAdapter = async function (this: unknown, ...args: unknown[]) {
    const adapter = await requestAdapter.apply(this, args);
    if (adapter) Object.defineProperty(adapter, 'info', { value: info });
    return adapter;
  };
}

/** Init script: a browser without WebGPU. */
export function removeWebGpu(): void {
  delete (Navigator.prototype as unknown as { gpu?: unknown }).gpu;
}

/** Init script: WebGPU exists but offers no adapter (blocklisted GPU, disabled). */
export function noAdapter(): void {
  const gpuProto = (globalThis as unknown as { GPU: { prototype: Record<string, unknown> } }).GPU
    .prototype;
  gpuProto.requestAdapter = () => Promise.resolve(null);
}

/** Init script: compute pipelines cannot be created (a broken driver): inference throws. */
export function breakComputePipelines(): void {
  const deviceProto = (
    globalThis as unknown as { GPUDevice: { prototype: Record<string, unknown> } }
  ).GPUDevice.prototype;
  deviceProto.createComputePipeline = () => {
    throw new Error('simulated driver failure: createComputePipeline');
  };
  deviceProto.createComputePipelineAsync = () =>
    Promise.reject(new Error('simulated driver failure: createComputePipelineAsync'));
}

/** Init scripts: a hardware adapter (NVIDIA) on which compute pipelines cannot be created. */
export async function brokenHardwareAdapter(page: Page): Promise<void> {
  await page.addInitScript(spoofAdapterInfo, {
    vendor: 'nvidia',
    architecture: 'ampere',
    device: '',
    description: '',
  });
  await page.addInitScript(breakComputePipelines);
}

/** Init script: report this many logical cores (tfjs caps WASM threads at cores / 2). */
export function reportCores(cores: number): void {
  Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => cores });
}

export const sharedDir = resolve(process.env.WEBNETS_SHARED ?? '../shared');
/**
 * The FD-MobileNet 0.5× pack, converted from ../shared by `webnets convert` in
 * e2e/global-setup.ts and served by Vite (vite.config.ts mounts models/packs/ at /packs/).
 */
export const packUrl = '/packs/fd-mobilenet-0.5x/model.json';

/**
 * Init script: the engine refuses shared WebAssembly memories as Safari on iOS does with
 * COOP/COEP set (`RangeError: Out of memory`, onnxruntime issue 11679): tfjs' threaded
 * build, which asks for one of up to 4 GiB, cannot start.
 */
export function refuseSharedWasmMemory(): void {
  const Memory = WebAssembly.Memory;
  const refusing = function (descriptor: WebAssembly.MemoryDescriptor) {
    if (descriptor.shared === true) throw new RangeError('Out of memory');
    return new Memory(descriptor);
  } as unknown as typeof WebAssembly.Memory;
  refusing.prototype = Memory.prototype;
  WebAssembly.Memory = refusing;
}

/**
 * Init script: no SharedArrayBuffer, as on a page that is not cross-origin isolated
 * (`isolated` false) or in a browser that withholds it from isolated pages too (WebKitGTK).
 */
export function withoutSharedArrayBuffer(isolated: boolean): void {
  delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
  Object.defineProperty(globalThis, 'crossOriginIsolated', { value: isolated });
}
