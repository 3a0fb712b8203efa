/**
 * Gathers the facts the backend policy (policy.ts) decides on. Everything here talks to
 * the browser; nothing decides. In Node there is no `navigator.gpu`, so the facts say
 * WebGPU is missing.
 */
import type { AdapterFacts, BackendFacts, PlatformFacts, WebGpuFacts } from './policy';

/** The parts of the WebGPU API the probe touches (the full types are not in TS's DOM lib). */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
  requestDevice(): Promise<{ destroy(): void }>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface UaDataLike {
  mobile?: boolean;
  platform?: string;
  getHighEntropyValues?: (hints: string[]) => Promise<{ architecture?: string }>;
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
 * Asks for the adapter tfjs would get (tfjs-backend-webgpu requests 'high-performance'),
 * reads its info, and checks a device can be created (then destroys that device).
 */
export async function probeWebGpu(): Promise<WebGpuFacts> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (gpu === undefined || gpu === null) return { status: 'missing' };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { status: 'no-adapter', error: errorText(err) };
  }
  if (adapter === null || adapter === undefined) return { status: 'no-adapter' };
  let info = adapter.info;
  if (info === undefined && typeof adapter.requestAdapterInfo === 'function') {
    info = await adapter.requestAdapterInfo().catch(() => undefined);
  }
  const facts = adapterFacts(adapter, info);
  try {
    const device = await adapter.requestDevice();
    device.destroy();
  } catch (err) {
    return { status: 'no-device', adapter: facts, error: errorText(err) };
  }
  return { status: 'ok', adapter: facts };
}

/** OS and CPU architecture from the user-agent string (the fallback when client hints are absent). */
export function platformFromUserAgent(userAgent: string): PlatformFacts {
  const ua = userAgent.toLowerCase();
  const os = /android/.test(ua)
    ? 'android'
    : /iphone|ipad|ipod/.test(ua)
      ? 'ios'
      : /cros/.test(ua)
        ? 'chromeos'
        : /mac os x|macintosh/.test(ua)
          ? 'macos'
          : /windows/.test(ua)
            ? 'windows'
            : /linux/.test(ua)
              ? 'linux'
              : '';
  const architecture = /aarch64|arm64|armv\d|\barm\b/.test(ua)
    ? 'arm'
    : /x86_64|x86-64|win64|wow64|amd64|i686|x64/.test(ua)
      ? 'x86'
      : os === 'android' || os === 'ios'
        ? 'arm'
        : '';
  return { os, architecture, mobile: /mobile|android|iphone|ipad/.test(ua) };
}

function osFromHint(platform: string): string {
  const p = platform.toLowerCase();
  if (p === 'macos' || p === 'mac os x') return 'macos';
  if (p === 'chrome os' || p === 'chromeos') return 'chromeos';
  return p;
}

/** Platform facts: client hints where the browser has them (Chromium), else the UA string. */
export async function probePlatform(): Promise<PlatformFacts> {
  const nav = globalThis.navigator as
    { userAgent?: string; userAgentData?: UaDataLike } | undefined;
  const fromUa = platformFromUserAgent(nav?.userAgent ?? '');
  const hints = nav?.userAgentData;
  if (hints === undefined) return fromUa;
  let architecture = fromUa.architecture;
  try {
    const values = await hints.getHighEntropyValues?.(['architecture']);
    if (values?.architecture) architecture = values.architecture.toLowerCase();
  } catch {
    // Hints may be refused (permissions policy); the UA string's guess stands.
  }
  return {
    os: hints.platform ? osFromHint(hints.platform) : fromUa.os,
    architecture,
    mobile: hints.mobile ?? fromUa.mobile,
  };
}

export async function probeFacts(): Promise<BackendFacts> {
  const [webgpu, platform] = await Promise.all([probeWebGpu(), probePlatform()]);
  return { webgpu, platform };
}
