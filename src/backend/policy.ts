/**
 * The backend policy for `backend: 'auto'`, as data.
 *
 * `probe.ts` gathers facts about the page (is there a WebGPU adapter, what does its info
 * say, is this an ARM platform); this file turns facts into a decision with an ordered
 * list of rules, like onnxruntime-web's execution-provider list: the first rule that
 * has an opinion wins, and says why in a sentence the user can read (`model.backendReason`).
 * Every rule is a small pure function, so each one is unit-tested on hand-written facts.
 *
 * The decision is the head of a plan (`BackendPlan`): the backends a model tries in order.
 * Starting one can still fail (a driver that cannot compile a pipeline, a device lost
 * later); start.ts then moves to the next backend of the plan, and the failure becomes
 * the reason the model gives. That is the one fallback mechanism, at load and later.
 *
 * Why WASM wins on some GPUs: a software adapter (SwiftShader, llvmpipe) runs WGSL on
 * the CPU, slower than XNNPACK's SIMD kernels on the same CPU; low-power mobile GPUs
 * (Mali, Adreno, PowerVR) share memory bandwidth with the CPU and pay WebGPU's dispatch
 * overhead on every one of a ConvNet's ~50–200 small layers, so a phone's big CPU cores
 * with WASM SIMD are faster or on par there. Apple silicon's GPU is not in that class.
 */

/** A tfjs backend webnets runs on. */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';

/** What `load` and `selectBackend` accept: a backend, or 'auto' for the policy below. */
export type BackendOption = 'auto' | BackendName;

/** What the adapter says about itself (`GPUAdapter.info`), lower-cased, '' when absent. */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `isFallbackAdapter` from the adapter or its info; false when neither has it. */
  isFallbackAdapter: boolean;
}

export type WebGpuFacts =
  /** No `navigator.gpu`; `insecure`: because the page is not a secure context. */
  | { status: 'missing'; insecure?: true }
  | { status: 'no-adapter'; error?: string }
  /** The adapter lacks a feature or limit webnets needs (webgpu.ts `webgpuRequirements`). */
  | { status: 'unsupported'; adapter: AdapterFacts; missing: readonly string[] }
  | { status: 'no-device'; adapter: AdapterFacts; error: string }
  | { status: 'ok'; adapter: AdapterFacts };

/** What is missing when WebGPU is not usable, in words: an error's message and a fallback's reason. */
export function describeWebGpuProblem(facts: Exclude<WebGpuFacts, { status: 'ok' }>): string {
  switch (facts.status) {
    case 'missing':
      return facts.insecure
        ? 'no WebGPU (navigator.gpu is missing: the page is not a secure context; WebGPU needs https or localhost)'
        : 'no WebGPU (navigator.gpu is missing)';
    case 'no-adapter':
      return facts.error === undefined
        ? 'no WebGPU adapter (requestAdapter returned null)'
        : `no WebGPU adapter (requestAdapter failed: ${facts.error})`;
    case 'unsupported':
      return `the WebGPU adapter (${adapterName(facts.adapter)}) lacks what webnets needs: ${facts.missing.join(', ')}`;
    case 'no-device':
      return `no WebGPU device (requestDevice failed on ${adapterName(facts.adapter)}: ${facts.error})`;
  }
}

/** What the browser says about the machine (user-agent client hints, or the UA string). */
export interface PlatformFacts {
  /** 'arm', 'x86' or '' when unknown. */
  architecture: string;
  /** 'android', 'ios', 'macos', 'windows', 'linux', 'chromeos' or '' when unknown. */
  os: string;
  mobile: boolean;
}

export interface BackendFacts {
  webgpu: WebGpuFacts;
  platform: PlatformFacts;
}

export interface BackendDecision {
  backend: 'webgpu' | 'wasm';
  /** Why, in a short sentence: the part of `backendReason` after the backend's label. */
  reason: string;
  /** Name of the rule that decided. */
  rule: string;
}

export interface BackendRule {
  name: string;
  /** Returns a decision, or null to leave it to the next rule. */
  decide(facts: BackendFacts): Omit<BackendDecision, 'rule'> | null;
}

/** Adapter names that mean the GPU is emulated on the CPU. */
const softwareAdapterPattern =
  /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|software/;

/** GPU vendors whose GPUs are low-power mobile parts (SoC GPUs sharing memory with the CPU). */
const lowPowerVendorPattern =
  /\b(arm|qualcomm|imagination|img-tec|img tec|powervr|vivante|verisilicon|broadcom|mediatek|hisilicon|samsung)\b/;

/** GPU families of those vendors, as adapters name them in architecture/device/description. */
const lowPowerArchitecturePattern =
  /mali|valhall|bifrost|midgard|adreno|powervr|rogue|videocore|xclipse|immortalis/;

/** Vendors whose GPUs on an ARM machine are not a phone-class GPU. */
const desktopClassVendorPattern = /\b(apple|nvidia|amd|ati)\b/;

/** The adapter in a few words for a reason: 'qualcomm adreno-7xx', 'google swiftshader'. */
export function adapterName(adapter: AdapterFacts): string {
  const words = [adapter.vendor, adapter.architecture].filter((w) => w !== '');
  if (words.length > 0) return words.join(' ');
  return adapter.device || adapter.description || 'unnamed adapter';
}

function adapterText(adapter: AdapterFacts): string {
  return [adapter.vendor, adapter.architecture, adapter.device, adapter.description].join(' ');
}

export function isSoftwareAdapter(adapter: AdapterFacts): boolean {
  return adapter.isFallbackAdapter || softwareAdapterPattern.test(adapterText(adapter));
}

export function isLowPowerArmGpu(adapter: AdapterFacts): boolean {
  return (
    lowPowerVendorPattern.test(adapter.vendor) ||
    lowPowerArchitecturePattern.test(adapterText(adapter))
  );
}

export function isAppleGpu(adapter: AdapterFacts): boolean {
  return /\bapple\b/.test(adapter.vendor);
}

function platformName(platform: PlatformFacts): string {
  return [platform.os, platform.architecture].filter((w) => w !== '').join(' ') || 'unknown';
}

/** The ordered rules of `backend: 'auto'`. The last one always decides. */
export const autoRules: readonly BackendRule[] = [
  {
    name: 'no-webgpu',
    decide: ({ webgpu }) =>
      webgpu.status === 'ok' ? null : { backend: 'wasm', reason: describeWebGpuProblem(webgpu) },
  },
  {
    name: 'software-adapter',
    decide: ({ webgpu }) =>
      webgpu.status === 'ok' && isSoftwareAdapter(webgpu.adapter)
        ? { backend: 'wasm', reason: `software WebGPU adapter (${adapterName(webgpu.adapter)})` }
        : null,
  },
  {
    name: 'low-power-arm-gpu',
    decide: ({ webgpu }) =>
      webgpu.status === 'ok' && isLowPowerArmGpu(webgpu.adapter)
        ? { backend: 'wasm', reason: `low-power ARM GPU (${adapterName(webgpu.adapter)})` }
        : null,
  },
  {
    // Apple silicon is an ARM platform, but its GPU is fast: it must not reach the next rule.
    name: 'apple-gpu',
    decide: ({ webgpu }) =>
      webgpu.status === 'ok' && isAppleGpu(webgpu.adapter)
        ? { backend: 'webgpu', reason: `Apple GPU (${adapterName(webgpu.adapter)})` }
        : null,
  },
  {
    // An ARM phone or board whose adapter hides its name (privacy) or names a vendor we
    // do not know: without a discrete GPU, the CPU with WASM SIMD is the safer bet.
    name: 'arm-platform',
    decide: ({ webgpu, platform }) =>
      webgpu.status === 'ok' &&
      (platform.architecture === 'arm' || platform.os === 'android') &&
      !desktopClassVendorPattern.test(webgpu.adapter.vendor)
        ? {
            backend: 'wasm',
            reason: `ARM platform (${platformName(platform)}) without a discrete GPU (adapter: ${adapterName(webgpu.adapter)})`,
          }
        : null,
  },
  {
    name: 'webgpu',
    decide: ({ webgpu }) => ({
      backend: 'webgpu',
      reason:
        webgpu.status === 'ok'
          ? `hardware WebGPU adapter (${adapterName(webgpu.adapter)})`
          : 'WebGPU adapter',
    }),
  },
];

/** Runs the rules in order; the first decision wins. */
export function decideBackend(
  facts: BackendFacts,
  rules: readonly BackendRule[] = autoRules,
): BackendDecision {
  for (const rule of rules) {
    const decision = rule.decide(facts);
    if (decision !== null) return { ...decision, rule: rule.name };
  }
  throw new Error(
    `backend policy: no rule decided (rules: ${rules.map((r) => r.name).join(', ')})`,
  );
}

/**
 * The backends a model tries, best first. The first says why it was chosen (`reason`); a
 * later one is reached only when the one before failed, and gives that failure as its
 * reason (`fellBackReason`).
 */
export interface BackendPlan {
  order: readonly BackendName[];
  reason: string;
}

/** What 'auto' tries when its choice cannot start: WebGPU's fallback is WASM. */
const autoFallback: Partial<Record<BackendName, BackendName>> = { webgpu: 'wasm' };

/** The backends every page has: where a model whose plan is used up goes when its backend is lost. */
const lastResort: BackendName = 'wasm';

const displayNames: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'WASM', cpu: 'CPU' };

/**
 * The plan for a choice: under 'auto' the choice and its fallback; a backend requested by
 * name stands alone (asked for by name, it fails by name).
 */
export function backendPlan(backend: BackendName, reason: string, auto: boolean): BackendPlan {
  const fallback = auto ? autoFallback[backend] : undefined;
  return { order: fallback === undefined ? [backend] : [backend, fallback], reason };
}

/**
 * What to load instead when a backend asked for by name cannot start: the end of its
 * error's message. WASM and CPU run everywhere webnets does; WebGPU does not.
 */
export const alternatives: Partial<Record<BackendName, string>> = {
  webgpu:
    "Load with backend: 'auto' (WebGPU where it works, else WASM) or backend: 'wasm' to run without WebGPU",
};

/** The reason a model gives on a backend it reached because `from` failed with `why`. */
export function fellBackReason(from: BackendName, why: string): string {
  return `fell back from ${displayNames[from]}: ${why}`;
}

/**
 * Where a running model goes when backend `at` of its plan is lost (a WebGPU device does
 * not come back within a page): the rest of the plan, else WASM, so a model that loaded
 * keeps answering, even one that asked for WebGPU by name.
 */
export function afterLoss(plan: BackendPlan, at: number, why: string): BackendPlan {
  const lost = plan.order[at] ?? plan.order[0]!;
  const rest = plan.order.slice(at + 1);
  return { order: rest.length > 0 ? rest : [lastResort], reason: fellBackReason(lost, why) };
}
