/**
 * Gathers the facts the backend policy (policy.ts) decides on. Everything here talks to
 * the browser; nothing decides. In Node there is no `navigator.gpu`, so the facts say
 * WebGPU is missing.
 */
import type { BackendFacts, PlatformFacts, WebGpuFacts } from './policy';
import { openWebGpu, WebGpuUnavailable } from './webgpu';

interface UaDataLike {
  mobile?: boolean;
  platform?: string;
  getHighEntropyValues?: (hints: string[]) => Promise<{ architecture?: string }>;
}

/**
 * Opens WebGPU as tfjs would (webgpu.ts), reads the adapter's info, and destroys the
 * device: the facts say whether a model could start there, or which step failed.
 */
export async function probeWebGpu(): Promise<WebGpuFacts> {
  try {
    const { device, adapter } = await openWebGpu();
    device.destroy();
    return { status: 'ok', adapter };
  } catch (err) {
    if (err instanceof WebGpuUnavailable) return err.facts;
    throw err;
  }
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
