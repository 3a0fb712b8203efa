/**
 * `precision: 'float16'` where the WebGPU adapter has shader-f16: `load` over Dawn's Node
 * binding (npm webgpu, bench/dawn/) on Mesa's lavapipe (software Vulkan, with shader-f16;
 * tools/lavapipe.sh), in a Node of its own (f16-check.ts), each model at float32 and float16:
 * the four models of issue 21 with seeded weights, and FD-MobileNet 0.5× with its authors'
 * checkpoint on the shared photos. float16 must keep every logit within 1e-2 of the largest
 * float32 logit, run f16 kernels (shader modules that enable f16, counted from the API) and
 * hold about half the weight bytes; float32 must run none.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { DAWN_PACKAGE } from '../../bench/dawn/gpu';

const LAVAPIPE_ENV = '.cache/lavapipe/env';
const shared = '../shared';

interface Run {
  precision: string;
  model: { precision: string; backend: string; backendReason: string };
  shaders: { modules: number; f16: number };
  bytes: number;
  top1: number[];
}
interface Compared {
  runs: [Run, Run];
  relDiff: number[];
}
interface Check {
  adapter: string;
  adapterFeatures: string[];
  seeded: Record<string, Compared>;
  photos: Compared & { names: string[] };
}

/** The environment tools/lavapipe.sh wrote (VK_ICD_FILENAMES, LD_LIBRARY_PATH). */
function lavapipeEnv(): Record<string, string> {
  if (!existsSync(LAVAPIPE_ENV)) {
    throw new Error(
      `${LAVAPIPE_ENV} is missing: run \`bash tools/lavapipe.sh\` (fetches Mesa 25's lavapipe, a software Vulkan driver with shader-f16, from Debian bookworm-backports into .cache/lavapipe; .ci/run does)`,
    );
  }
  const lines = readFileSync(LAVAPIPE_ENV, 'utf8').trim().split('\n');
  return Object.fromEntries(lines.map((line) => line.split(/=(.*)/s).slice(0, 2)));
}

function requirePrerequisites(): Record<string, string> {
  const binding = 'node_modules/webgpu/package.json';
  const version = existsSync(binding)
    ? `webgpu@${(JSON.parse(readFileSync(binding, 'utf8')) as { version: string }).version}`
    : null;
  if (version !== DAWN_PACKAGE) {
    throw new Error(
      `Dawn's Node binding ${DAWN_PACKAGE} is not installed${version === null ? '' : ` (${version} is)`}: run \`npm install --no-save ${DAWN_PACKAGE}\` (.ci/run does)`,
    );
  }
  for (const path of [`${shared}/weights/fd-mobilenet`, `${shared}/images`]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: see ../shared/README.md`);
  }
  return lavapipeEnv();
}

let check: Check;

beforeAll(async () => {
  const env = { ...process.env, ...requirePrerequisites() };
  const args = ['--experimental-wasm-relaxed-simd', '--import', 'tsx'];
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...args, 'test/webgpu/f16-check.ts', shared],
    { env, maxBuffer: 2 ** 26, timeout: 600_000 },
  );
  check = JSON.parse(stdout.trim().split('\n').pop()!) as Check;
}, 660_000);

const reference = () =>
  JSON.parse(readFileSync(`${shared}/reference/fd-mobilenet.json`, 'utf8')) as {
    models: Record<string, Record<string, { top5: [number, number][] }>>;
  };

function expectBothPrecisions({ runs, relDiff }: Compared, what: string): void {
  const [f32, f16] = runs;
  expect(f32.model.precision, `${what}: float32 asked`).toBe('float32');
  expect(f32.model.backendReason).toMatch(/^webgpu: /);
  expect(f16.model.precision, `${what}: float16 asked, the adapter has shader-f16`).toBe('float16');
  expect(f16.model.backendReason).toMatch(/^webgpu float16: /);
  for (const diff of relDiff) {
    expect(diff, `${what}: max |Δlogit| / max |float32 logit|`).toBeLessThanOrEqual(1e-2);
  }
  expect(f16.top1, `${what}: top-1`).toEqual(f32.top1);
}

describe("precision: 'float16' over Dawn on lavapipe", () => {
  it('runs on an adapter with shader-f16', () => {
    expect(
      check.adapterFeatures,
      `Dawn's adapter (${check.adapter}) lacks shader-f16: is VK_ICD_FILENAMES lavapipe's (tools/lavapipe.sh)?`,
    ).toContain('shader-f16');
  });

  it.each(['fd-mobilenet-0.5x', 'efficientnet-b0', 'regnety-400mf', 'regnetx-400mf'])(
    '%s (seeded weights): float16 logits within 1e-2, on f16 kernels',
    (id) => {
      const compared = check.seeded[id]!;
      expectBothPrecisions(compared, id);
      const [f32, f16] = compared.runs;
      expect(f32.shaders.f16, 'float32 compiles no f16 shader').toBe(0);
      // Pipelines are cached by key per device: the float16 model's own kernels are new ones.
      expect(f16.shaders.f16, 'float16 compiles f16 shaders').toBeGreaterThan(0);
      expect(f16.bytes, 'float16 holds about half the bytes').toBeLessThan(0.55 * f32.bytes);
    },
  );

  it('FD-MobileNet 0.5x, the authors’ checkpoint: float16 keeps the shared photos’ logits and PyTorch’s top-1', () => {
    expectBothPrecisions(check.photos, 'photos');
    const want = reference().models['fd-mobilenet-0.5x']!;
    const top1 = check.photos.names.map((name) => want[name]!.top5[0]![0]);
    expect(check.photos.runs[1].top1).toEqual(top1);
    expect(check.photos.runs[1].bytes).toBeLessThan(0.55 * check.photos.runs[0].bytes);
  });
});
