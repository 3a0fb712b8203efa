/**
 * bench/ab's measurement, the same in Node and in a Chromium page (bench/ab/page.ts):
 * another build of the kernels module instantiated on tfjs' memory beside the running one,
 * and the two swapped between alternating timed calls on the networks' layers
 * (bench/lib/kernel-cases.ts) and on whole networks (synthetic weights, `network.forward` +
 * readback).
 */
import { kernelConfig, registerKernels } from '../../src/kernels';
import type { KernelExports, WasmBackendLike } from '../../src/kernels/wasm/module';
import { decodeBase64, kernelsOf, memoryOf } from '../../src/kernels/wasm/module';
import { CONV_PACKED_WEIGHT } from '../../src/kernels/config';
import { createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import { tf } from '../../src/tf';
import { syntheticWeights } from '../../src/weights/synthetic';
import { kernelCases } from '../lib/kernel-cases';
import { runner } from '../lib/kernel-runner';
import { median } from '../../src/numeric';
import { alternateSyncTimes, pairedRatios } from '../lib/stats';

export interface AbOptions {
  /**
   * The other build's base64 modules by variant (binary.generated.ts at some commit); or
   * 'stock': the layers against tfjs' own ops (XNNPACK), as the kernel config with webnets'
   * kernels off prepares them (`--against stock`); or 'threads1': the layers on webnets'
   * kernels with 1 thread against the page's `threads` (`--against threads1 --threads N`).
   */
  modules: Record<string, string> | 'stock' | 'threads1';
  /** tfjs' and the kernel pool's threads in the page (1 unless against 'threads1'). */
  threads: number;
  /** What the other build is called in the output (a commit). */
  label: string;
  /** Layers whose "<net> <layer>" contains this; null: none. */
  filter: string | null;
  networks: string[];
  rounds: number;
  /**
   * The register blocks the other build's conv kernel runs in (`--against-blocks`), for a
   * build before 2026-12-05 (whose `layout` bits 0-1 chose them): SpiderMonkey ran 8 × 4
   * there, and this engine's stem bits would read as 16 × 2.
   */
  otherBlocks?: keyof typeof OLD_BLOCK_CODES;
}

/** group_conv2d's register-block codes in builds before 2026-12-05 (`layout` bits 0-1). */
export const OLD_BLOCK_CODES = { '16x2': 1, '8x4': 2 } as const;

/** Where group_conv2d's `layout` argument is (group_conv2d.c), and its blocks' bits. */
const LAYOUT_ARG = 16;
const LAYOUT_BLOCKS = 3;

interface Build {
  exports: KernelExports;
  table: number;
}

/**
 * The other build, same variant as the running one, on the same memory. Exports it lacks
 * (added since: the activation codes, depthwise_walks_rows) are taken from this build, and
 * said so; an export both have with other parameters makes the builds unswappable.
 */
async function otherBuild(
  backend: WasmBackendLike,
  options: AbOptions,
  log: (line: string) => void,
): Promise<Build> {
  const current = kernelsOf(backend);
  const base64 = typeof options.modules === 'string' ? undefined : options.modules[current.variant];
  if (base64 === undefined) {
    throw new Error(`${options.label} has no '${current.variant}' build`);
  }
  const memory = memoryOf(backend);
  const { instance } = await WebAssembly.instantiate(decodeBase64(base64), { env: { memory } });
  const theirs = instance.exports as unknown as Record<string, { length: number } | undefined>;
  const ours = current.exports as unknown as Record<string, { length: number } | undefined>;
  const missing = Object.keys(ours).filter((name) => theirs[name] === undefined);
  const differ = Object.keys(ours).filter(
    (name) => theirs[name] !== undefined && theirs[name].length !== ours[name]?.length,
  );
  if (differ.length > 0) {
    throw new Error(
      `${options.label}'s kernels differ in ${differ.join(', ')} (other parameters): cannot swap them`,
    );
  }
  if (missing.length > 0) {
    log(`${options.label} lacks ${missing.join(', ')}: those come from the working tree's build`);
  }
  const exports = { ...current.exports, ...instance.exports } as unknown as KernelExports;
  if (theirs.conv_packed_weight === undefined) {
    // Builds before the engine's blocks reached every conv read group_conv2d's layout
    // argument only as a packed 1×1 weight's blocks (0: in place): give them that.
    log(`${options.label}'s group_conv2d takes a packed weight's blocks, or 0: translated`);
    const old = exports.group_conv2d;
    exports.group_conv2d = (...args: number[]) => {
      const layout = args[LAYOUT_ARG] as number;
      args[LAYOUT_ARG] = layout & CONV_PACKED_WEIGHT ? layout & ~CONV_PACKED_WEIGHT : 0;
      old(...args);
    };
  }
  const blocks = options.otherBlocks;
  if (blocks !== undefined) {
    log(`${options.label}'s conv kernel runs in ${blocks} blocks`);
    const theirConv = exports.group_conv2d;
    exports.group_conv2d = (...args: number[]) => {
      const layout = args[LAYOUT_ARG] as number;
      args[LAYOUT_ARG] = (layout & ~LAYOUT_BLOCKS) | OLD_BLOCK_CODES[blocks];
      theirConv(...args);
    };
  }
  const table = backend.wasm._malloc(exports.constants_bytes());
  exports.init_constants(table);
  return { exports, table };
}

interface Job {
  label: string;
  run: () => void;
  reps: number;
  dispose: () => void;
}

/** A network on synthetic weights: forward + logits readback, as an inference. */
function networkJob(id: string): Job {
  const spec = getSpec(id);
  const network = createNetwork(spec, syntheticWeights(spec, 1));
  const x = tf.randomNormal([1, spec.inputSize, spec.inputSize, 3]) as tf.Tensor4D;
  const run = (): void => {
    const { logits, features } = network.forward(x);
    logits.dataSync();
    tf.dispose([logits, features]);
  };
  return {
    label: `${id} forward`,
    run,
    reps: 2,
    dispose: () => {
      network.dispose();
      x.dispose();
    },
  };
}

function layerJobs(filter: string | null): Job[] {
  if (filter === null) return [];
  return kernelCases()
    .filter((k) => `${k.net} ${k.layer}`.includes(filter))
    .map((c) => {
      const r = runner(c);
      return { label: `${c.net} ${c.layer}`, run: () => r.kernel().dispose(), reps: 5, ...r };
    });
}

/**
 * Runs the comparison on tfjs' wasm backend (set by the caller) and reports one line per
 * layer or network through `log`: the other build's median ms, this build's, and their ratio.
 */
export async function runAb(options: AbOptions, log: (line: string) => void): Promise<void> {
  if (!(await registerKernels('wasm'))) throw new Error('the WASM kernels did not register');
  if (typeof options.modules === 'string') {
    runLayerSides(options, log);
    return;
  }
  const backend = tf.backend() as unknown as WasmBackendLike;
  const kernels = kernelsOf(backend);
  const now: Build = { exports: kernels.exports, table: kernels.table };
  const builds: [Build, Build] = [await otherBuild(backend, options, log), now];
  const use = (b: Build): void => {
    kernels.exports = b.exports;
    kernels.table = b.table;
  };
  log(
    `kernels (${kernels.variant}) at ${options.label} against the working tree, ${options.rounds} alternated rounds`,
  );
  const jobs = [...layerJobs(options.filter), ...options.networks.map(networkJob)];
  try {
    // Both modules start in V8's baseline tier and move to the optimizing one after some
    // calls: run everything under both first, so neither is timed while still baseline.
    for (const build of builds) {
      use(build);
      for (const job of jobs) for (let i = 0; i < 10; i++) job.run();
    }
    for (const job of jobs) {
      const under = (b: Build) => () => {
        use(b);
        job.run();
      };
      const [thenMs, nowMs] = alternateSyncTimes(builds.map(under), {
        rounds: options.rounds,
        reps: job.reps,
      }) as [number[], number[]];
      logLine(job.label, options.label, thenMs, nowMs, log);
    }
  } finally {
    for (const job of jobs) job.dispose();
    use(now);
  }
}

/**
 * Each layer on webnets' kernels against the other side, alternated: 'stock', tfjs' own ops
 * for it (XNNPACK's conv and depthwise conv; the stock compositions where tfjs has no such
 * op), what routing a shape class to tfjs would gain on this engine; 'threads1', the kernels
 * on the calling thread alone, what splitting the layer over the page's threads gains.
 */
function runLayerSides(options: AbOptions, log: (line: string) => void): void {
  const other = options.modules as 'stock' | 'threads1';
  if (options.filter === null) throw new Error(`--against ${other} compares layers: give --filter`);
  const config = kernelConfig();
  log(
    other === 'stock'
      ? `tfjs' own ops (stock) against webnets' kernels, ${options.rounds} alternated rounds`
      : `webnets' kernels on 1 thread against ${config.threads}, ${options.rounds} alternated rounds`,
  );
  const cases = kernelCases().filter((k) => `${k.net} ${k.layer}`.includes(options.filter ?? ''));
  for (const c of cases) {
    const r = runner(c, config);
    const one = other === 'threads1' ? runner(c, { ...config, threads: 1 }) : null;
    try {
      const calls = [
        one === null ? () => r.stock().dispose() : () => one.kernel().dispose(),
        () => r.kernel().dispose(),
      ];
      for (let i = 0; i < 10; i++) for (const call of calls) call();
      const [stockMs, kernelMs] = alternateSyncTimes(calls, {
        rounds: options.rounds,
        reps: 5,
      }) as [number[], number[]];
      logLine(`${c.net} ${c.layer}`, other, stockMs, kernelMs, log);
    } finally {
      r.dispose();
      one?.dispose();
    }
  }
}

/** One result line: both medians, their ratio, the per-round ratios, the fastest turns'. */
function logLine(
  label: string,
  other: string,
  otherMs: number[],
  nowMs: number[],
  log: (line: string) => void,
): void {
  const [then, current] = [median(otherMs), median(nowMs)];
  // A busy machine only ever slows a call down: the fastest turns and the per-round
  // ratios (both sides back to back) are steadier than the medians under load.
  const fastest = Math.min(...otherMs) / Math.min(...nowMs);
  const paired = pairedRatios(otherMs, nowMs);
  log(
    `${label.padEnd(52)} ${other} ${then.toFixed(3).padStart(8)} ms  now ${current.toFixed(3).padStart(8)} ms  ${(then / current).toFixed(2)}×` +
      `  per round ${paired?.median.toFixed(2) ?? '–'}× (${paired?.q25.toFixed(2) ?? '–'}–${paired?.q75.toFixed(2) ?? '–'})  fastest ${fastest.toFixed(2)}×`,
  );
}
