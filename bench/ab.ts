/**
 * The WASM kernels against another commit's, in one Node process: that commit's build
 * (src/kernels/wasm/binary.generated.ts at REV) is instantiated on the same tfjs memory
 * with its own constants table, and the two modules are swapped between alternating
 * timed calls — on bench/kernel-shapes.ts's layers and on whole networks (synthetic
 * weights, `network.forward` + readback). This machine's speed drifts by up to 1.5× within
 * minutes, more than most kernel changes; runs in separate processes cannot see a 5% change,
 * alternating in one process can.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/ab.ts --against HEAD~1 \
 *     [--filter 'dw 7²'] [--networks fd-mobilenet-0.5x,efficientnet-b0] [--rounds 30]
 *
 * Layers run only with --filter (a substring of "<net> <layer>", '' for all), networks only
 * with --networks; neither: every layer. Both builds must export the same functions with the
 * same parameter counts (a changed signature cannot be swapped): the script says which differ.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { registerKernels } from '../src/kernels';
import type { KernelExports, WasmBackendLike } from '../src/kernels/wasm/instance';
import { decodeBase64, kernelsOf, memoryOf } from '../src/kernels/wasm/instance';
import { createNetwork } from '../src/models/network';
import { getSpec } from '../src/models/presets';
import { tf } from '../src/runtime/tf';
import { syntheticWeights } from '../src/weights/synthetic';
import { runner } from './kernels-runner';
import { benchCases } from './kernel-shapes';

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    filter: { type: 'string' },
    networks: { type: 'string' },
    rounds: { type: 'string', default: '30' },
  },
});
function fail(message: string): never {
  console.error(`bench/ab: ${message}`);
  process.exit(2);
}
if (!values.against) fail('--against REV is required (the commit whose kernels to compare with)');
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 2) {
  fail(`--rounds is '${values.rounds}': expected a whole number ≥ 2`);
}

/** The base64 modules of src/kernels/wasm/binary.generated.ts at `rev`. */
function modulesAt(rev: string): Record<string, string> {
  const path = 'src/kernels/wasm/binary.generated.ts';
  const text = execFileSync('git', ['show', `${rev}:${path}`], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const modules: Record<string, string> = {};
  for (const m of text.matchAll(/'([a-z-]+)':\s*'([A-Za-z0-9+/=]+)'/g)) {
    modules[m[1] as string] = m[2] as string;
  }
  if (Object.keys(modules).length === 0)
    throw new Error(
      `bench/ab: found no kernel modules in ${rev}:${path} (a commit before the current file format?)`,
    );
  return modules;
}

interface Build {
  exports: KernelExports;
  table: number;
}

/** The other build, same variant as the running one, on the same memory. */
async function otherBuild(backend: WasmBackendLike, rev: string): Promise<Build> {
  const current = kernelsOf(backend);
  const base64 = modulesAt(rev)[current.variant];
  if (base64 === undefined) throw new Error(`bench/ab: ${rev} has no '${current.variant}' build`);
  const memory = memoryOf(backend);
  const { instance } = await WebAssembly.instantiate(decodeBase64(base64), { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  const arity = (e: KernelExports, name: string): number | undefined =>
    (e as unknown as Record<string, { length: number } | undefined>)[name]?.length;
  const differ = Object.keys(current.exports).filter(
    (name) => arity(current.exports, name) !== arity(exports, name),
  );
  if (differ.length > 0) {
    throw new Error(
      `bench/ab: ${rev}'s kernels differ in ${differ.join(', ')} (missing or other parameters): cannot swap them`,
    );
  }
  const table = backend.wasm._malloc(exports.constants_bytes());
  exports.init_constants(table);
  return { exports, table };
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1] ?? NaN;

/** Median ms of `f` under each build, alternating which goes first, `reps` calls a turn. */
function alternate(
  builds: [Build, Build],
  use: (b: Build) => void,
  f: () => void,
  reps: number,
): [number, number] {
  const times: [number[], number[]] = [[], []];
  for (let r = -2; r < rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      use(builds[i] as Build);
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) f();
      if (r >= 0) times[i]?.push((performance.now() - t0) / reps);
    }
  }
  return [median(times[0]), median(times[1])];
}

function line(label: string, [then, now]: [number, number]): void {
  console.log(
    `${label.padEnd(52)} ${values.against} ${then.toFixed(3).padStart(8)} ms  now ${now.toFixed(3).padStart(8)} ms  ${(then / now).toFixed(2)}×`,
  );
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

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  if (!(await registerKernels('wasm')))
    throw new Error('bench/ab: the WASM kernels did not register');
  const backend = tf.backend() as unknown as WasmBackendLike;
  const kernels = kernelsOf(backend);
  const now: Build = { exports: kernels.exports, table: kernels.table };
  const builds: [Build, Build] = [await otherBuild(backend, values.against as string), now];
  const use = (b: Build): void => {
    kernels.exports = b.exports;
    kernels.table = b.table;
  };
  console.log(`kernels at ${values.against} against the working tree, ${rounds} alternated rounds`);
  const filter = values.filter ?? (values.networks ? null : '');
  const cases =
    filter === null ? [] : benchCases.filter((k) => `${k.net} ${k.layer}`.includes(filter));
  const jobs: Job[] = [
    ...cases.map((c) => {
      const r = runner(c);
      return { label: `${c.net} ${c.layer}`, run: () => r.kernel().dispose(), reps: 5, ...r };
    }),
    ...(values.networks?.split(',').filter(Boolean) ?? []).map(networkJob),
  ];
  // Both modules start in V8's baseline tier and move to the optimizing one after some
  // calls: run everything under both first, so neither is timed while still baseline.
  for (const build of builds) {
    use(build);
    for (const job of jobs) for (let i = 0; i < 10; i++) job.run();
  }
  for (const job of jobs) {
    line(job.label, alternate(builds, use, job.run, job.reps));
    job.dispose();
  }
  use(now);
}

// Say what went wrong in one line: tfjs' Node module rethrows uncaught errors with its own
// source attached, which buries the message.
await main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
