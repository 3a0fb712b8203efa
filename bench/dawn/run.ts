/**
 * `npm run bench -- --backends webgpu-dawn` (or this file directly): webnets on a real GPU
 * without a browser. tfjs-backend-webgpu runs in Node over Dawn (bench/dawn/gpu.ts); on the
 * same machine, each network runs on three sides, alternated in one process:
 *   webgpu        webnets' WebGPU kernels (what `load(id, { backend: 'webgpu' })` runs)
 *   webgpu-f16    the same with float16 weights (`precision: 'float16'`), where the adapter
 *                 has shader-f16 (left out of the default sides where it has not)
 *   webgpu-unfused  the same without the fused k×k → 1×1 kernel (separable-conv2d/), whose
 *                 fewer dispatches must also be faster work for it to pay
 *   webgpu-unchained  the same without the chained 1×1 convs across block boundaries
 *                 (chained-conv2d/): its A/B
 *   webgpu-stock  tfjs' own WebGPU kernels (the kernel config with webnets' kernels off)
 *   wasm1         webnets' WASM kernels, one thread (Node's WebAssembly: V8, as Chromium)
 * The weights are seeded (src/weights/synthetic.ts), the same on every side, so the sides'
 * logits are compared with each other as well as timed. Each timed run is `network.logits`
 * plus the logits' readback; the first run of each side, pipeline compilation included, is
 * reported apart. The GPU calls of one inference are counted from the API (count.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keepUniforms } from '../../src/backend/webgpu-uniforms';
import { kernelConfig, registerKernels } from '../../src/kernels';
import type { KernelConfig } from '../../src/kernels/config';
import { complexity } from '../../src/models/complexity';
import { compileNetwork, createNetwork, type Network } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import { median } from '../../src/numeric';
import { setWasmPaths, tf } from '../../src/tf';
import { syntheticWeights, tensorRandom } from '../../src/weights/synthetic';
import { list, OptionError, wholeNumber } from '../lib/options';
import { pairedRatios, p95 } from '../lib/stats';
import { fixed, formatTable, ms, sci } from '../lib/table';
import {
  countGpuCalls,
  countShaderModules,
  type GpuCounter,
  type GpuCounts,
  type ShaderCounts,
} from './count';

type ShaderCounter = ReturnType<typeof countShaderModules>;
import {
  DAWN_PACKAGE,
  describeAdapter,
  importDawn,
  installDawn,
  registerDawnWebGpu,
  requestDawnAdapter,
  type DawnAdapter,
} from './gpu';

export const DAWN_SIDES = [
  'webgpu',
  'webgpu-f16',
  'webgpu-unfused',
  'webgpu-unchained',
  'webgpu-stock',
  'wasm1',
] as const;
export type DawnSide = (typeof DAWN_SIDES)[number];

const DEFAULT_MODELS = ['fd-mobilenet-0.5x', 'efficientnet-b0', 'regnety-400mf', 'regnetx-400mf'];

export const usage = `Usage: npm run bench -- --backends webgpu-dawn [--models a,b] [--runs N] [--warmup N]
   or: node --experimental-wasm-relaxed-simd --import tsx bench/dawn/run.ts [options]
  --models a,b,…   model ids (default ${DEFAULT_MODELS.join(',')})
  --sides a,b,…    ${DAWN_SIDES.join(', ')} (default all; webgpu-f16 where the adapter has shader-f16)
  --runs N         timed runs per side (default 30)
  --warmup N       untimed runs per side first (default 5)
  --out DIR        where the results JSON goes (default bench/results)
  --wasm-dir DIR   tfjs-backend-wasm's .wasm files (default: its own package folder)
  --dawn-compatibility  Dawn's OpenGL ES adapter (compatibility mode) instead of a GPU's:
                   checks this benchmark on a machine without one (Mesa, EGL_PLATFORM=surfaceless);
                   its times are not a GPU's
Needs Dawn's Node binding (\`npm install --no-save ${DAWN_PACKAGE}\`) and a GPU with its driver.`;

interface Options {
  models: string[];
  sides: DawnSide[];
  /** --sides was given (a side the adapter cannot run is then an error, not left out). */
  sidesGiven: boolean;
  runs: number;
  warmup: number;
  out: string;
  wasmDir: string | undefined;
  compatibility: boolean;
}

export function parseDawnArgs(argv: string[], root: string): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      sides: { type: 'string' },
      runs: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' },
      out: { type: 'string', default: join(root, 'bench/results') },
      'wasm-dir': { type: 'string' },
      'dawn-compatibility': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const sides = list(values.sides, DAWN_SIDES);
  for (const side of sides) {
    if (!(DAWN_SIDES as readonly string[]).includes(side)) {
      throw new OptionError(`--sides: '${side}' is not a side: expected ${DAWN_SIDES.join(', ')}`);
    }
  }
  const models = list(values.models, DEFAULT_MODELS);
  models.forEach((id) => getSpec(id)); // throws naming an unknown id
  return {
    models,
    sides: sides as DawnSide[],
    sidesGiven: values.sides !== undefined,
    runs: wholeNumber('runs', values.runs, 1),
    warmup: wholeNumber('warmup', values.warmup, 0),
    out: values.out,
    wasmDir: values['wasm-dir'],
    compatibility: values['dawn-compatibility'],
  };
}

const backendOf = (side: DawnSide): 'webgpu' | 'wasm' => (side === 'wasm1' ? 'wasm' : 'webgpu');

/** The kernel config each side builds its network with. */
function configOf(side: DawnSide): KernelConfig {
  const precision = side === 'webgpu-f16' ? 'float16' : 'float32';
  const config = kernelConfig(backendOf(side), { pooled: false, precision });
  const without: Partial<Record<DawnSide, keyof KernelConfig['kernels']>> = {
    'webgpu-unfused': 'separableConv2d',
    'webgpu-unchained': 'chainedConv2d',
  };
  const off = without[side];
  if (off) return { ...config, kernels: { ...config.kernels, [off]: false } };
  if (side !== 'webgpu-stock') return config;
  const none = Object.fromEntries(Object.keys(config.kernels).map((k) => [k, false]));
  return { ...config, kernels: none as KernelConfig['kernels'] };
}

/** A seeded input, as a normalized photo's statistics go (roughly zero mean, unit spread). */
function inputValues(size: number): Float32Array {
  const random = tensorRandom('input', 7);
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * 1.7;
  return out;
}

interface Built {
  side: DawnSide;
  network: Network;
  input: tf.Tensor4D;
  weights: tf.NamedTensorMap;
}

async function activate(side: DawnSide): Promise<void> {
  if (tf.getBackend() !== backendOf(side) && !(await tf.setBackend(backendOf(side)))) {
    throw new Error(`tfjs could not switch to its ${backendOf(side)} backend`);
  }
}

async function infer(b: Built): Promise<Float32Array> {
  await activate(b.side);
  const logits = tf.tidy(() => b.network.logits(b.input));
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

interface SideResult {
  side: DawnSide;
  /** Weights uploaded, network built and its pipelines compiled (what load() waits for). */
  readyMs: number;
  /** Weights uploaded, network built, first inference (pipelines compiled) and read back. */
  buildAndFirstMs: number;
  /** The second inference alone: what compilation left to do after the first. */
  secondMs: number;
  /** Compute pipelines created before the first inference (compiled ahead) and by it (webgpu sides). */
  pipelinesCompiled: { ahead: number; first: number } | null;
  medianMs: number;
  p95Ms: number;
  timesMs: number[];
  /** GPU calls of one inference after warm-up (webgpu sides). */
  counts: GpuCounts | null;
  /** Shader modules made while the side was built and first ran, and how many enable f16. */
  shaders: ShaderCounts | null;
  /** max |logit − wasm1's| / max |wasm1's logit| (null without a wasm1 side). */
  maxRelDiffToWasm: number | null;
  /** webgpu-f16: max |logit − webgpu's| / max |webgpu's logit| (null otherwise, or without webgpu). */
  maxRelDiffToFloat32: number | null;
}

interface ModelResult {
  id: string;
  macs: number;
  sides: SideResult[];
  /** Paired per-round ratios a/b: webgpu over webgpu-stock and over wasm1. */
  ratios: Record<string, { q25: number; median: number; q75: number } | null>;
}

async function benchModel(
  id: string,
  o: Options,
  counter: GpuCounter,
  shaders: ShaderCounter,
): Promise<ModelResult> {
  const spec = getSpec(id);
  const size = spec.inputSize;
  const values = inputValues(size);
  const built: Built[] = [];
  const first = new Map<
    DawnSide,
    {
      readyMs: number;
      buildAndFirstMs: number;
      secondMs: number;
      pipelinesAhead: number;
      pipelines: number;
      shaders: ShaderCounts;
      logits: Float32Array;
    }
  >();
  try {
    for (const side of o.sides) {
      await activate(side);
      counter.reset();
      shaders.reset();
      const t0 = performance.now();
      const weights = syntheticWeights(spec);
      const b: Built = {
        side,
        weights,
        network: createNetwork(spec, weights, configOf(side)),
        input: tf.tensor4d(values, [1, size, size, 3]),
      };
      built.push(b);
      await compileNetwork(b.network); // as load() does: pipelines compiled ahead, in parallel
      const readyMs = performance.now() - t0;
      const pipelinesAhead = counter.read().pipelines;
      const logits = await infer(b);
      const t1 = performance.now();
      const pipelines = counter.read().pipelines - pipelinesAhead;
      await infer(b);
      const secondMs = performance.now() - t1;
      const times = { readyMs, buildAndFirstMs: t1 - t0, secondMs };
      first.set(side, { ...times, pipelinesAhead, pipelines, shaders: shaders.read(), logits });
    }
    const times = new Map<DawnSide, number[]>(o.sides.map((s) => [s, []]));
    for (let r = -o.warmup; r < o.runs; r++) {
      const order = r % 2 === 0 ? built : [...built].reverse();
      for (const b of order) {
        await activate(b.side);
        const t0 = performance.now();
        await infer(b);
        if (r >= 0) times.get(b.side)!.push(performance.now() - t0);
      }
    }
    const reference = first.get('wasm1')?.logits;
    const float32 = first.get('webgpu')?.logits;
    const sides: SideResult[] = [];
    for (const b of built) {
      let counts: GpuCounts | null = null;
      if (backendOf(b.side) === 'webgpu') {
        counter.reset();
        await infer(b);
        counts = counter.read();
      }
      const t = times.get(b.side)!;
      const f = first.get(b.side)!;
      sides.push({
        side: b.side,
        readyMs: f.readyMs,
        buildAndFirstMs: f.buildAndFirstMs,
        secondMs: f.secondMs,
        pipelinesCompiled:
          backendOf(b.side) === 'webgpu' ? { ahead: f.pipelinesAhead, first: f.pipelines } : null,
        medianMs: median(t),
        p95Ms: p95(t),
        timesMs: t,
        counts,
        shaders: backendOf(b.side) === 'webgpu' ? f.shaders : null,
        maxRelDiffToWasm: reference ? maxRelDiff(f.logits, reference) : null,
        maxRelDiffToFloat32:
          b.side === 'webgpu-f16' && float32 ? maxRelDiff(f.logits, float32) : null,
      });
    }
    const ratios: ModelResult['ratios'] = {};
    const webgpu = times.get('webgpu');
    for (const other of DAWN_SIDES.filter((s) => s !== 'webgpu')) {
      const t = times.get(other);
      if (webgpu && t) ratios[`webgpu/${other}`] = pairedRatios(webgpu, t);
    }
    return { id, macs: complexity(spec).macs, sides, ratios };
  } finally {
    for (const b of built) {
      await activate(b.side);
      b.network.dispose();
      b.input.dispose();
      tf.dispose(Object.values(b.weights));
    }
  }
}

/**
 * The sides to run on `adapter`: webgpu-f16 needs shader-f16; left out of the default sides
 * where the adapter lacks it, an error where --sides names it.
 */
export function sidesFor(
  o: Pick<Options, 'sides' | 'sidesGiven'>,
  adapter: Pick<DawnAdapter, 'features'>,
): DawnSide[] {
  if (!o.sides.includes('webgpu-f16') || adapter.features.includes('shader-f16')) return o.sides;
  const why = "the adapter lacks shader-f16, which webgpu-f16 (precision: 'float16') needs";
  if (o.sidesGiven) throw new OptionError(`--sides webgpu-f16: ${why}`);
  console.log(`bench:dawn: no webgpu-f16 side: ${why}`);
  return o.sides.filter((s) => s !== 'webgpu-f16');
}

export function maxRelDiff(a: Float32Array, ref: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (ref[i] as number)));
    scale = Math.max(scale, Math.abs(ref[i] as number));
  }
  return diff / scale;
}

/** The GPU's marketing name where the driver's tool gives it (Dawn's adapter info may not). */
function gpuName(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

/** The ratios reported: webnets' WebGPU side against each other side. */
const RATIOS = DAWN_SIDES.filter((s) => s !== 'webgpu').map((s) => `webgpu/${s}`);

function render(results: ModelResult[], adapter: DawnAdapter, name: string | null): string {
  const rows = results.flatMap((m) =>
    m.sides.map((s) => [
      m.id,
      s.side,
      ms(s.medianMs),
      ms(s.p95Ms),
      ms(s.readyMs),
      ms(s.buildAndFirstMs),
      ms(s.secondMs),
      s.pipelinesCompiled === null
        ? ''
        : `${s.pipelinesCompiled.ahead}/${s.pipelinesCompiled.first}`,
      s.counts ? String(s.counts.dispatches) : '',
      s.counts ? `${s.counts.writeBuffers}/${s.counts.submits}/${s.counts.readbacks}` : '',
      s.maxRelDiffToWasm === null ? '' : sci(s.maxRelDiffToWasm),
      s.maxRelDiffToFloat32 === null ? '' : sci(s.maxRelDiffToFloat32),
      s.shaders === null ? '' : `${s.shaders.f16}/${s.shaders.modules}`,
    ]),
  );
  const table = formatTable(
    [
      'model',
      'side',
      'median ms',
      'p95 ms',
      'ready ms',
      'ready+first ms',
      'second ms',
      'pipelines ahead/first',
      'dispatches',
      'writes/submits/reads',
      'max Δ/max vs wasm1',
      'vs webgpu',
      'f16 shaders',
    ],
    rows,
  );
  const ratioRows = results.map((m) => [
    m.id,
    ...RATIOS.map((k) => {
      const r = m.ratios[k];
      return r ? `${fixed(r.median, 2)} (${fixed(r.q25, 2)}–${fixed(r.q75, 2)})` : '';
    }),
  ]);
  const ratios = formatTable(['model', ...RATIOS.map((k) => k.replace('/', ' / '))], ratioRows);
  return `GPU: ${name ? `${name}, ` : ''}${describeAdapter(adapter)}\n\n${table}\n\nPaired per-round time ratios, median (interquartile range); below 1: webnets' WebGPU kernels faster\n${ratios}`;
}

export async function runDawnBench(argv: string[], root: string): Promise<number> {
  const o = parseDawnArgs(argv, root);
  if (o === null) {
    console.log(usage);
    return 0;
  }
  const binding = await importDawn();
  const adapter = await requestDawnAdapter(binding, { compatibility: o.compatibility });
  installDawn(binding, adapter);
  console.log(`bench:dawn: ${describeAdapter(adapter)}; features ${adapter.features.join(', ')}`);
  o.sides = sidesFor(o, adapter);
  await registerDawnWebGpu();
  if (o.sides.some((s) => backendOf(s) === 'wasm')) {
    if (o.wasmDir !== undefined)
      setWasmPaths(o.wasmDir.endsWith('/') ? o.wasmDir : `${o.wasmDir}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start its wasm backend');
    if (!(await registerKernels('wasm'))) throw new Error("webnets' WASM kernels did not register");
  }
  if (!(await tf.setBackend('webgpu')))
    throw new Error('tfjs could not start its webgpu backend on Dawn');
  await registerKernels('webgpu');
  keepUniforms(tf.backend()); // as load() opens it (src/backend/activate.ts)
  const counter = countGpuCalls(binding.globals);
  const shaders = countShaderModules(binding.globals);
  const date = new Date();
  const results: ModelResult[] = [];
  for (const id of o.models) {
    console.log(`bench:dawn: ${id}`);
    results.push(await benchModel(id, o, counter, shaders));
  }
  const name = gpuName();
  const report = {
    machine: {
      date: date.toISOString(),
      gpu: describeAdapter(adapter),
      gpuName: name,
      adapter: { ...adapter, adapter: undefined, gpu: undefined },
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      dawn: DAWN_PACKAGE,
      commit: process.env.WEBNETS_COMMIT ?? 'unknown',
      load: loadavg()[0],
    },
    settings: o,
    results,
  };
  console.log(`\n${render(results, adapter, name)}`);
  mkdirSync(o.out, { recursive: true });
  const stamp = date.toISOString().replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 1)}\n`;
  writeFileSync(join(o.out, `dawn-${stamp}.json`), json);
  writeFileSync(join(o.out, 'dawn-latest.json'), json);
  console.log(`\nbench:dawn: wrote ${join(o.out, `dawn-${stamp}.json`)}`);
  return 0;
}
