import { describe, expect, it } from 'vitest';
import type { AdapterFacts, BackendFacts, PlatformFacts } from '../../src/backend/policy';
import { afterLoss, autoRules, backendPlan, decideBackend } from '../../src/backend/policy';
import type { ThreadSupport, WasmTraits } from '../../src/backend/threads';
import { SplitGauge } from '../../src/backend/split-gauge';
import {
  AUTO_POOLED_MIN_MACS,
  autoOneThreadReason,
  backendLabel,
  noThreadsReason,
  poolsNetwork,
  poolThreads,
  splitLossNote,
  wantedThreads,
} from '../../src/backend/threads';

const desktop: PlatformFacts = { os: 'linux', architecture: 'x86', mobile: false };
const android: PlatformFacts = { os: 'android', architecture: 'arm', mobile: true };
const appleSilicon: PlatformFacts = { os: 'macos', architecture: 'arm', mobile: false };

function adapter(info: Partial<AdapterFacts>): AdapterFacts {
  return {
    vendor: '',
    architecture: '',
    device: '',
    description: '',
    isFallbackAdapter: false,
    ...info,
  };
}

function withAdapter(info: Partial<AdapterFacts>, platform: PlatformFacts = desktop): BackendFacts {
  return { webgpu: { status: 'ok', adapter: adapter(info) }, platform };
}

describe('the auto policy', () => {
  it('is an ordered list whose last rule always decides', () => {
    expect(autoRules.map((r) => r.name)).toEqual([
      'no-webgpu',
      'software-adapter',
      'low-power-arm-gpu',
      'apple-gpu',
      'arm-platform',
      'webgpu',
    ]);
  });

  it.each([
    [{ status: 'missing' } as const, 'no WebGPU (navigator.gpu is missing)'],
    [{ status: 'no-adapter' } as const, 'no WebGPU adapter (requestAdapter returned null)'],
    [
      { status: 'no-adapter', error: 'blocklisted' } as const,
      'no WebGPU adapter (requestAdapter failed: blocklisted)',
    ],
    [
      {
        status: 'no-device',
        adapter: adapter({ vendor: 'nvidia' }),
        error: 'out of memory',
      } as const,
      'no WebGPU device (requestDevice failed on nvidia: out of memory)',
    ],
    [
      {
        status: 'unsupported',
        adapter: adapter({ vendor: 'arm', architecture: 'valhall' }),
        missing: ['limit maxStorageBuffersPerShaderStage 4 < 8'],
      } as const,
      'the WebGPU adapter (arm valhall) lacks what webnets needs: limit maxStorageBuffersPerShaderStage 4 < 8',
    ],
    [
      { status: 'missing', insecure: true } as const,
      'no WebGPU (navigator.gpu is missing: the page is not a secure context; WebGPU needs https or localhost)',
    ],
  ])('rule 1: no usable WebGPU (%o) → wasm', (webgpu, reason) => {
    expect(decideBackend({ webgpu, platform: desktop })).toEqual({
      backend: 'wasm',
      reason,
      rule: 'no-webgpu',
    });
  });

  it.each([
    [{ vendor: 'google', architecture: 'swiftshader' }, 'google swiftshader'],
    [{ vendor: 'mesa', architecture: 'llvmpipe' }, 'mesa llvmpipe'],
    [{ vendor: 'mesa', device: 'lavapipe' }, 'mesa'],
    [{ vendor: 'microsoft', description: 'microsoft basic render driver' }, 'microsoft'],
    [{ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: true }, 'nvidia ampere'],
    [{ description: 'swiftshader device (subzero)' }, 'swiftshader device (subzero)'],
  ])('rule 2: software or fallback adapter %o → wasm', (info, name) => {
    const decision = decideBackend(withAdapter(info));
    expect(decision).toEqual({
      backend: 'wasm',
      reason: `software WebGPU adapter (${name})`,
      rule: 'software-adapter',
    });
  });

  it.each([
    [{ vendor: 'arm', architecture: 'valhall' }, 'arm valhall'],
    [{ vendor: 'arm', architecture: 'bifrost' }, 'arm bifrost'],
    [{ vendor: '', architecture: 'midgard' }, 'midgard'],
    [{ vendor: 'qualcomm', architecture: 'adreno-7xx' }, 'qualcomm adreno-7xx'],
    [{ vendor: 'qualcomm', architecture: '' }, 'qualcomm'],
    [{ vendor: 'imagination', architecture: 'rogue' }, 'imagination rogue'],
    [{ vendor: '', description: 'powervr b-series bxm-8-256' }, 'powervr b-series bxm-8-256'],
    [{ vendor: 'broadcom', architecture: 'videocore' }, 'broadcom videocore'],
    [{ vendor: 'samsung', architecture: 'xclipse' }, 'samsung xclipse'],
  ])('rule 3: low-power ARM GPU %o → wasm, on any platform', (info, name) => {
    for (const platform of [android, desktop]) {
      expect(decideBackend(withAdapter(info, platform))).toEqual({
        backend: 'wasm',
        reason: `low-power ARM GPU (${name})`,
        rule: 'low-power-arm-gpu',
      });
    }
  });

  it('rule 4: Apple silicon keeps WebGPU although it is an ARM platform', () => {
    expect(
      decideBackend(withAdapter({ vendor: 'apple', architecture: 'metal-3' }, appleSilicon)),
    ).toEqual({
      backend: 'webgpu',
      reason: 'Apple GPU (apple metal-3)',
      rule: 'apple-gpu',
    });
    expect(
      decideBackend(
        withAdapter(
          { vendor: 'apple', architecture: 'common-3' },
          { os: 'ios', architecture: 'arm', mobile: true },
        ),
      ).backend,
    ).toBe('webgpu');
  });

  it('rule 5: an ARM platform whose adapter is unnamed or unknown → wasm', () => {
    expect(decideBackend(withAdapter({}, android))).toEqual({
      backend: 'wasm',
      reason: 'ARM platform (android arm) without a discrete GPU (adapter: unnamed adapter)',
      rule: 'arm-platform',
    });
    expect(
      decideBackend(
        withAdapter({ vendor: 'unknown-soc' }, { os: 'linux', architecture: 'arm', mobile: false }),
      ).reason,
    ).toBe('ARM platform (linux arm) without a discrete GPU (adapter: unknown-soc)');
    // Android hint alone (architecture hidden) is enough.
    expect(
      decideBackend(withAdapter({}, { os: 'android', architecture: '', mobile: true })).rule,
    ).toBe('arm-platform');
  });

  it('an ARM machine with a discrete GPU keeps WebGPU', () => {
    const board = { os: 'linux', architecture: 'arm', mobile: false };
    expect(decideBackend(withAdapter({ vendor: 'nvidia', architecture: 'ampere' }, board))).toEqual(
      {
        backend: 'webgpu',
        reason: 'hardware WebGPU adapter (nvidia ampere)',
        rule: 'webgpu',
      },
    );
  });

  it.each([
    [{ vendor: 'nvidia', architecture: 'ada' }, 'nvidia ada'],
    [{ vendor: 'amd', architecture: 'rdna-3' }, 'amd rdna-3'],
    [{ vendor: 'intel', architecture: 'gen-12lp' }, 'intel gen-12lp'],
    [{ vendor: '', architecture: '', device: '0x1234' }, '0x1234'],
  ])('rule 6: other hardware adapters on desktop platforms → webgpu (%o)', (info, name) => {
    expect(decideBackend(withAdapter(info))).toEqual({
      backend: 'webgpu',
      reason: `hardware WebGPU adapter (${name})`,
      rule: 'webgpu',
    });
  });

  it('earlier rules win: a software adapter on an ARM phone is reported as software', () => {
    expect(
      decideBackend(withAdapter({ vendor: 'google', architecture: 'swiftshader' }, android)).rule,
    ).toBe('software-adapter');
  });

  it('takes other rule lists (data, not code paths)', () => {
    const alwaysWasm = [
      { name: 'always', decide: () => ({ backend: 'wasm' as const, reason: 'test' }) },
    ];
    expect(decideBackend(withAdapter({ vendor: 'nvidia' }), alwaysWasm)).toEqual({
      backend: 'wasm',
      reason: 'test',
      rule: 'always',
    });
    expect(() => decideBackend(withAdapter({}), [])).toThrow(/no rule decided/);
  });
});

describe('which models split their WASM kernels over the page’s threads', () => {
  it("'auto' (or no option) splits networks of 100 M MACs or more; a number splits unless it is 1", () => {
    const b0 = 385_814_752;
    const fd = 40_000_000;
    expect(AUTO_POOLED_MIN_MACS).toBe(100_000_000);
    expect([b0, fd].map((macs) => poolsNetwork(macs, 'auto'))).toEqual([true, false]);
    expect([b0, fd].map((macs) => poolsNetwork(macs, undefined))).toEqual([true, false]);
    expect(poolsNetwork(AUTO_POOLED_MIN_MACS, 'auto')).toBe(true);
    expect(poolsNetwork(AUTO_POOLED_MIN_MACS - 1, 'auto')).toBe(false);
    // A model loaded with threads: 1 on a page whose pool has more keeps its kernels on one.
    expect([b0, fd].map((macs) => poolsNetwork(macs, 1))).toEqual([false, false]);
    expect([b0, fd].map((macs) => poolsNetwork(macs, 2))).toEqual([true, true]);
  });
});

describe('what backendReason says about WASM threads', () => {
  const threaded: WasmTraits = {
    simd: true,
    xnnpackThreads: 1,
    poolThreads: 2,
    poolSize: 2,
    singleThreaded: null,
  };
  const isolated: ThreadSupport = {
    node: false,
    workers: true,
    sharedArrayBuffer: true,
    crossOriginIsolated: true,
    wasmThreads: true,
  };

  it('names the first missing piece a page needs for threads, or none', () => {
    expect(noThreadsReason(isolated)).toBeNull();
    expect(
      noThreadsReason({ ...isolated, crossOriginIsolated: false, sharedArrayBuffer: false }),
    ).toMatch(
      /^the page is not cross-origin isolated, so no SharedArrayBuffer \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)$/,
    );
    // WebKitGTK: an isolated page, still no SharedArrayBuffer.
    expect(noThreadsReason({ ...isolated, sharedArrayBuffer: false })).toBe(
      'this browser gives the page no SharedArrayBuffer',
    );
    expect(noThreadsReason({ ...isolated, crossOriginIsolated: undefined, workers: false })).toBe(
      'this page cannot start Web Workers',
    );
    expect(noThreadsReason({ ...isolated, wasmThreads: false })).toBe(
      'this engine does not validate WebAssembly threads',
    );
    expect(noThreadsReason({ ...isolated, node: true, workers: false })).toBe(
      "tfjs' WASM backend runs one thread in Node",
    );
  });

  it("'auto' wants the pool's threads for the networks it splits, 1 for the others; a count is a count", () => {
    const b0 = 385_814_752;
    const fd = 40_000_000;
    expect(wantedThreads(fd, 'auto')).toBe(1);
    expect(wantedThreads(b0, 'auto')).toBe(poolThreads('auto'));
    expect(wantedThreads(fd, 3)).toBe(3);
    expect(wantedThreads(b0, 1)).toBe(1);
  });

  it("says why threads 'auto' keeps a small network's kernels on one thread where cores are free, and nothing otherwise", () => {
    const [b0, fd] = [385_814_752, 40_000_000];
    const cores = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    try {
      Object.defineProperty(globalThis, 'navigator', {
        value: { hardwareConcurrency: 2 },
        configurable: true,
      });
      const why = autoOneThreadReason(fd, 'auto');
      expect(why).toBe(
        "threads 'auto' runs the kernels of a network under 100 M MACs on one thread, this one 40 M: its convs are too small for a split to repay; threads: 2 splits them",
      );
      expect(autoOneThreadReason(fd, undefined)).toBe(why);
      expect(backendLabel('wasm', threaded, 1, 1, why)).toBe(`wasm-simd (1 thread, ${why})`);
      // On a page without threads (not cross-origin isolated), "threads: 2 splits them" is
      // not true: the label says one thread, and the page's reason is the single-thread one.
      const isolatedNot = { ...threaded, poolThreads: 1, singleThreaded: 'not isolated' };
      expect(backendLabel('wasm', isolatedNot, 1, 1, why)).toBe('wasm-simd (1 thread)');
      // A network 'auto' splits, a count asked for: nothing to explain.
      expect(autoOneThreadReason(b0, 'auto')).toBeNull();
      expect(autoOneThreadReason(fd, 1)).toBeNull();
      expect(autoOneThreadReason(fd, 2)).toBeNull();
      // One core: one thread is all 'auto' could run.
      Object.defineProperty(globalThis, 'navigator', {
        value: { hardwareConcurrency: 1 },
        configurable: true,
      });
      expect(autoOneThreadReason(fd, 'auto')).toBeNull();
    } finally {
      if (cores) Object.defineProperty(globalThis, 'navigator', cores);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });

  it('states the threads running, and what was wanted and why only when fewer run', () => {
    expect(backendLabel('wasm', threaded, 2, 2)).toBe('wasm-simd (2 threads)');
    expect(backendLabel('wasm', threaded, 1, 1)).toBe('wasm-simd (1 thread)');
    expect(backendLabel('webgpu', undefined, 1, 4)).toBe('webgpu');
    // A pooled network measured faster alone (src/backend/split-gauge.ts) says so.
    const alone = new SplitGauge();
    for (let i = 0; i <= 20; i++) alone.record(alone.splits() ? 4 : 3);
    expect(splitLossNote(alone)).not.toBeNull();
    expect(backendLabel('wasm', threaded, 2, 2, null, splitLossNote(alone))).toBe(
      "wasm-simd (2 threads, webnets' kernels on 1: measured faster here than split over the pool)",
    );
    expect(splitLossNote(new SplitGauge())).toBeNull(); // still probing
    const failed = 'the threaded WASM build failed to start (RangeError: Out of memory)';
    const single = { ...threaded, poolThreads: 1, singleThreaded: failed };
    expect(backendLabel('wasm', single, 1, 2)).toBe(`wasm-simd (1 thread, 2 wanted: ${failed})`);
    expect(
      backendLabel('wasm', { ...threaded, simd: false, poolThreads: 1, poolSize: 4 }, 1, 4),
    ).toBe("wasm (1 thread, 4 wanted: 3 of the page's 3 kernel workers did not start)");
    expect(backendLabel('wasm', threaded, 2, 4)).toBe(
      "wasm-simd (2 threads, 4 wanted: the page's WASM backend was started with threads: 2 (by the first model; tfjs starts it once per page))",
    );
  });
});

describe('the plan a model starts, and moves along when a backend fails or is lost', () => {
  it("'auto' follows WebGPU with WASM; a requested backend stands alone", () => {
    expect(backendPlan('webgpu', 'hardware WebGPU adapter (nvidia ampere)', true)).toEqual({
      order: ['webgpu', 'wasm'],
      reason: 'hardware WebGPU adapter (nvidia ampere)',
    });
    expect(backendPlan('wasm', 'no WebGPU', true).order).toEqual(['wasm']);
    expect(backendPlan('webgpu', "requested (backend: 'webgpu')", false).order).toEqual(['webgpu']);
  });

  it('a lost backend hands over to the rest of the plan, else to WASM, with the loss as the reason', () => {
    const auto = backendPlan('webgpu', 'hardware WebGPU adapter (nvidia ampere)', true);
    const lost = 'the WebGPU device was lost (destroyed)';
    expect(afterLoss(auto, 0, lost)).toEqual({
      order: ['wasm'],
      reason: 'fell back from WebGPU: the WebGPU device was lost (destroyed)',
    });
    const requested = backendPlan('webgpu', "requested (backend: 'webgpu')", false);
    expect(afterLoss(requested, 0, lost)).toEqual(afterLoss(auto, 0, lost));
  });
});
