/**
 * Opening WebGPU: navigator.gpu → adapter → what webnets needs of it → device, each step
 * that can fail named. The probe (probe.ts) opens it to learn the facts 'auto' decides on;
 * activation (activate.ts) opens it to run tfjs' WebGPU backend on the device, requested
 * as tfjs' own backend factory requests it. One implementation, so an error under
 * `backend: 'webgpu'` and a fallback reason under 'auto' say the same thing.
 */
import type { AdapterFacts, WebGpuFacts } from './policy';
import { describeWebGpuProblem } from './policy';

/** The parts of the WebGPU API touched here (the full types are not in TS's DOM lib). */
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuDeviceLike {
  destroy(): void;
  lost?: Promise<{ reason?: string; message?: string }>;
  features?: { has(name: string): boolean };
  createShaderModule?(descriptor: { code: string; label?: string }): unknown;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  features?: { has(name: string): boolean };
  limits?: Record<string, number | undefined>;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
  requestDevice(descriptor?: object): Promise<GpuDeviceLike>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/**
 * What webnets' networks need of an adapter beyond what WebGPU guarantees everywhere:
 * the core limits tfjs' and webnets' WGSL programs are written for (the spec's defaults;
 * WebGPU's compatibility mode and some drivers give less), and no optional feature.
 */
export const webgpuRequirements: {
  features: readonly string[];
  limits: Readonly<Record<string, number>>;
} = {
  features: [],
  limits: {
    maxComputeInvocationsPerWorkgroup: 256,
    maxComputeWorkgroupSizeX: 256,
    maxComputeWorkgroupStorageSize: 16384,
    maxStorageBuffersPerShaderStage: 8,
  },
};

/**
 * Optional features asked for where the adapter has them: tfjs' WebGPU backend's, and
 * `shader-f16`, which `precision: 'float16'` runs on (kernels/half.ts).
 */
const optionalFeatures = ['timestamp-query', 'bgra8unorm-storage', 'shader-f16'];

/** The adapter limits tfjs' WebGPU backend raises to the adapter's maximum. */
const tfjsRaisedLimits = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
];

/** WebGPU is not usable here; `facts` says why (policy.ts words it). */
export class WebGpuUnavailable extends Error {
  constructor(readonly facts: Exclude<WebGpuFacts, { status: 'ok' }>) {
    super(describeWebGpuProblem(facts));
    this.name = 'WebGpuUnavailable';
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function lower(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

export function adapterFacts(
  adapter: Pick<GpuAdapterLike, 'isFallbackAdapter'>,
  info: GpuAdapterInfoLike | undefined,
): AdapterFacts {
  return {
    vendor: lower(info?.vendor),
    architecture: lower(info?.architecture),
    device: lower(info?.device),
    description: lower(info?.description),
    // Chromium moved the flag from the adapter to its info (and 156 has it on neither).
    isFallbackAdapter: adapter.isFallbackAdapter === true || info?.isFallbackAdapter === true,
  };
}

/**
 * What the adapter lacks of `webgpuRequirements`, one phrase each ('feature shader-f16',
 * 'limit maxStorageBuffersPerShaderStage 4 < 8'). A limit the adapter does not report is
 * not held against it.
 */
export function missingCapabilities(
  adapter: Pick<GpuAdapterLike, 'features' | 'limits'>,
  requirements = webgpuRequirements,
): string[] {
  const features = requirements.features
    .filter((name) => adapter.features?.has(name) !== true)
    .map((name) => `feature ${name}`);
  const limits = Object.entries(requirements.limits).flatMap(([name, needed]) => {
    const has = adapter.limits?.[name];
    return typeof has === 'number' && has < needed ? [`limit ${name} ${has} < ${needed}`] : [];
  });
  return [...features, ...limits];
}

/**
 * The device descriptor tfjs' WebGPU backend factory uses (tfjs-backend-webgpu 4.22 base.ts),
 * with `shader-f16` where the adapter has it.
 */
export function deviceDescriptor(adapter: Pick<GpuAdapterLike, 'features' | 'limits'>): {
  requiredFeatures: string[];
  requiredLimits: Record<string, number>;
} {
  const requiredLimits: Record<string, number> = {};
  for (const name of tfjsRaisedLimits) {
    const value = adapter.limits?.[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  return {
    requiredFeatures: optionalFeatures.filter((name) => adapter.features?.has(name) === true),
    requiredLimits,
  };
}

/**
 * `code` with its `enable …;` directives moved to the top: WGSL wants them before every
 * declaration, and tfjs writes its own declarations before a program's code (kernels/wgsl.ts
 * `precisionDirective`). Code without directives is returned as it is.
 */
export function hoistEnableDirectives(code: string): string {
  const directive = /^\s*enable\s+[\w\s,]+;\s*$/gm;
  const found = code.match(directive);
  if (found === null) return code;
  const unique = [...new Set(found.map((d) => d.trim()))];
  return `${unique.join('\n')}\n${code.replace(directive, '')}`;
}

/**
 * Makes `device` hoist the directives of every shader module made on it (the interface's
 * method is looked up at each call, so wrappers installed later, as bench/dawn's counters,
 * still see every module).
 */
function hoistDirectivesOn(device: GpuDeviceLike): void {
  const own = device.createShaderModule;
  if (typeof own !== 'function') return;
  const proto = Object.getPrototypeOf(device) as GpuDeviceLike | null;
  device.createShaderModule = (descriptor) => {
    const create = proto?.createShaderModule ?? own;
    return create.call(device, { ...descriptor, code: hoistEnableDirectives(descriptor.code) });
  };
}

/** An open WebGPU device and what its adapter says about itself. */
export interface OpenWebGpu {
  device: GpuDeviceLike;
  /** The adapter's info as the browser gives it (tfjs' backend reads it). */
  info: GpuAdapterInfoLike | undefined;
  adapter: AdapterFacts;
}

/**
 * Opens WebGPU as tfjs' backend would (a 'high-performance' adapter, its limits raised to
 * the adapter's maximum). Rejects with a WebGpuUnavailable naming the step that failed.
 */
export async function openWebGpu(): Promise<OpenWebGpu> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (gpu === undefined || gpu === null) {
    const insecure = (globalThis as { isSecureContext?: boolean }).isSecureContext === false;
    throw new WebGpuUnavailable(insecure ? { status: 'missing', insecure } : { status: 'missing' });
  }
  let found: GpuAdapterLike | null;
  try {
    found = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    throw new WebGpuUnavailable({ status: 'no-adapter', error: errorText(err) });
  }
  if (found === null || found === undefined) throw new WebGpuUnavailable({ status: 'no-adapter' });
  const adapter = found;
  let info = adapter.info;
  if (info === undefined && typeof adapter.requestAdapterInfo === 'function') {
    info = await adapter.requestAdapterInfo().catch(() => undefined);
  }
  const facts = adapterFacts(adapter, info);
  const missing = missingCapabilities(adapter);
  if (missing.length > 0) {
    throw new WebGpuUnavailable({ status: 'unsupported', adapter: facts, missing });
  }
  try {
    const device = await adapter.requestDevice(deviceDescriptor(adapter));
    hoistDirectivesOn(device);
    return { device, info, adapter: facts };
  } catch (err) {
    throw new WebGpuUnavailable({ status: 'no-device', adapter: facts, error: errorText(err) });
  }
}
