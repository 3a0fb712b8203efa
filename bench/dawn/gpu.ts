/**
 * Dawn, Chromium's WebGPU implementation, in Node through its Node binding (the npm package
 * `webgpu`), installed as tfjs-backend-webgpu expects to find a browser's: `navigator.gpu`
 * and the WebGPU globals (GPUBufferUsage, …). The package is not a dependency of webnets:
 * 132 MB for every platform's binary, for a benchmark that only runs on a machine with a
 * GPU driver. Every way it can be missing is an error that says what to do.
 */

/** The Dawn binding this benchmark was written and checked against. */
export const DAWN_PACKAGE = 'webgpu@0.6.2';

const INSTALL = `npm install --no-save ${DAWN_PACKAGE}`;

/** What the binding exports: `create(flags)` makes a GPU; `globals` are its interface objects. */
export interface DawnBinding {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** The adapter tfjs will be given, described for the report. */
export interface DawnAdapter {
  /** Dawn's instance: held here, since the adapter and its devices die with it when collected. */
  gpu: GPU;
  adapter: GPUAdapter;
  /** 'core' WebGPU, or 'compatibility' (Dawn's OpenGL ES backend: a check of the benchmark, not a speed figure). */
  featureLevel: 'core' | 'compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Adapter features, e.g. shader-f16, timestamp-query. */
  features: string[];
}

/** Loads the binding; a missing package is an error naming the install command. */
/** The package's name in a variable: it is optional, so neither tsc nor a bundler resolves it. */
const DAWN_MODULE = 'webgpu';

export async function importDawn(
  load: () => Promise<unknown> = () => import(/* @vite-ignore */ DAWN_MODULE),
): Promise<DawnBinding> {
  let binding: unknown;
  try {
    binding = await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `--backends webgpu-dawn needs Dawn's Node binding, which is not installed: run \`${INSTALL}\` ` +
          `(21 MB for linux-x64; not a dependency of webnets)`,
        { cause: err },
      );
    }
    throw new Error(
      `Dawn's Node binding (${DAWN_PACKAGE}) failed to load: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const { create, globals } = binding as Partial<DawnBinding>;
  if (typeof create !== 'function' || globals === undefined) {
    throw new Error(
      `the installed 'webgpu' package is not Dawn's Node binding: run \`${INSTALL}\``,
    );
  }
  return { create, globals } as DawnBinding;
}

/**
 * The adapter Dawn offers for high performance (what tfjs asks for), or an error that says
 * why there is none and what a machine needs. `compatibility`: Dawn's OpenGL ES adapter
 * instead (WebGPU's compatibility mode), which also runs on Mesa's software OpenGL ES
 * (llvmpipe, with EGL_PLATFORM=surfaceless): it checks the benchmark end to end on a machine
 * without a GPU; its times are not a GPU's.
 */
export async function requestDawnAdapter(
  binding: DawnBinding,
  { compatibility = false }: { compatibility?: boolean } = {},
): Promise<DawnAdapter> {
  const gpu = binding.create(compatibility ? ['backend=opengles'] : []);
  const adapter = await gpu.requestAdapter(
    compatibility
      ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions)
      : { powerPreference: 'high-performance' },
  );
  if (adapter === null && compatibility) {
    throw new Error(
      "Dawn found no OpenGL ES adapter for --dawn-compatibility: it needs EGL and OpenGL ES 3.1 (on Linux without a display: EGL_PLATFORM=surfaceless, and Mesa's libegl-mesa0, libgles2, libgl1-mesa-dri). Dawn prints why just above this line.",
    );
  }
  if (adapter === null) {
    throw new Error(
      'Dawn found no GPU adapter on this machine, so --backends webgpu-dawn cannot run here. ' +
        'It needs a GPU and its driver: Vulkan on Linux (the Vulkan loader libvulkan.so.1 and a ' +
        "driver's ICD file; `vulkaninfo --summary` should list the GPU; without one, Mesa 25's " +
        'lavapipe runs it in software: `bash tools/lavapipe.sh`, then `env $(cat .cache/lavapipe/env)` ' +
        'before the command), Metal on macOS, D3D12 on Windows. Dawn prints why it ' +
        'rejected each backend just above this line. The Chromium pages (--backends webgpu) run ' +
        "on any machine, on SwiftShader's software WebGPU where there is no GPU.",
    );
  }
  // GPUAdapter.info (this project's @webgpu/types predates it; Dawn has it).
  const info = (adapter as GPUAdapter & { info: Omit<DawnAdapter, 'gpu' | 'features'> }).info;
  return {
    gpu,
    adapter,
    featureLevel: compatibility ? 'compatibility' : 'core',
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    features: [...adapter.features].sort(),
  };
}

/**
 * Makes Dawn the `navigator.gpu` tfjs-backend-webgpu registers itself on. Must run before
 * that package is imported: it registers its backend at import time only where
 * `navigator.gpu` exists.
 */
export function installDawn(binding: DawnBinding, found: DawnAdapter): void {
  Object.assign(globalThis, binding.globals);
  // tfjs asks navigator.gpu for an adapter once: it gets the one described in the report.
  const gpu = { requestAdapter: () => Promise.resolve(found.adapter) };
  const navigator = (globalThis as { navigator?: object }).navigator;
  if (navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  } else {
    Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  }
}

/**
 * tfjs' WebGPU backend on Dawn, on the device webnets opens as `load` does (src/backend/webgpu.ts:
 * shader-f16 where the adapter has it, WGSL directives hoisted) instead of tfjs' own factory's.
 * Call after installDawn; the backend is registered, not yet set.
 */
export async function registerDawnWebGpu(): Promise<void> {
  // After installDawn: tfjs-backend-webgpu registers its backend on import where navigator.gpu is.
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const { openWebGpu } = await import('../../src/backend/webgpu');
  const { tf } = await import('../../src/tf');
  const { device, info } = await openWebGpu();
  type Args = ConstructorParameters<typeof WebGPUBackend>;
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device as Args[0], info as Args[1]), 3);
}

/** The adapter in one line, as the report names the machine's GPU. */
export function describeAdapter(a: DawnAdapter): string {
  const name = a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ');
  const level = a.featureLevel === 'compatibility' ? ', compatibility mode' : '';
  return `${name || 'unnamed adapter'} (Dawn${level}; vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'})`;
}
