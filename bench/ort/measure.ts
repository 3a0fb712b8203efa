/**
 * What the benchmark page measures: alternated timing, tfjs memory, the per-op profile.
 * Each takes the tfjs instance the webnets side runs on (dist's or the sources').
 */
import type * as tfType from '@tensorflow/tfjs-core';
import type { KernelRecord, MemoryFacts, ModelJob, RawProfile } from './protocol';
import type { Side, WebnetsSide } from './sides';
import { median } from '../../src/numeric';
import { SPLIT_LOSS_NOTE } from '../../src/backend/split-gauge';

type Tf = typeof tfType;

export async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}

/** The tfjs WASM module, when the webnets side runs on WASM. */
function wasmModule(
  tf: Tf,
): { HEAPU8?: Uint8Array; tfjs?: { getThreadsCount?: () => number } } | undefined {
  return (tf.backend() as { wasm?: ReturnType<typeof wasmModule> }).wasm;
}

function wasmHeapBytes(tf: Tf): number | null {
  return wasmModule(tf)?.HEAPU8?.byteLength ?? null;
}

/**
 * The threads webnets really runs: the count in its backendReason ('wasm-simd (2 threads):
 * …', 'wasm-simd (1 thread, 2 wanted: …): …', the larger of its kernel pool's and tfjs' XNNPACK threads), else tfjs' XNNPACK count
 * (tfjs-backend-wasm 4.22 caps what setThreadsCount asks at hardwareConcurrency / 2).
 */
export function wasmThreads(tf: Tf, backendReason?: string): number | null {
  // A pooled network measured faster alone runs its kernels, nearly all its work, on 1.
  if (backendReason?.includes(SPLIT_LOSS_NOTE)) return 1;
  const stated = /\((\d+) threads?[,)]/.exec(backendReason ?? '');
  if (stated) return Number(stated[1]);
  return wasmModule(tf)?.tfjs?.getThreadsCount?.() ?? null;
}

/**
 * Idle time before each timed run. Both sides keep worker threads that spin a while after
 * a run before they sleep; back to back, one side's spinning workers took cores from the
 * other's run (on 2 cores, FD-MobileNet with 2 threads measured 3× slower that way). 20 ms
 * was not enough after ORT's 2-thread runs: webnets' 2-thread run right after one was
 * 1.35–1.55× slower than after its own (EfficientNet-B0 39.5 vs 29.3 ms, RegNetY-400MF 30.5
 * vs 20.2; 100 ms apart 28.0 vs 26.6 and 18.9 vs 19.5; 2026-11-24, 2-core VM). Pages of one
 * thread have no workers and keep 20 ms, since idle time itself slows the next run, the
 * faster side's more (100 ms everywhere, three full runs: RegNetY and RegNetX webnets/ORT on
 * one thread 0.54–0.60 and 0.50–0.60, against 0.53–0.57 and 0.49–0.52 at 20 ms). So the
 * pages' 1-vs-N-thread ratio mixes two gaps (B0 1.11–1.29× where the N-thread page's own
 * rounds said 1.44–1.73×): thread scaling is judged in one page (ModelResult.webnetsOneThread).
 */
export function gapMs(threads: number): number {
  return threads > 1 ? 100 : 20;
}

const idle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Warm-ups, then `runs` rounds alternating which side goes first, `gap` ms apart. */
export async function alternate(sides: Side[], job: ModelJob, gap: number): Promise<number[][]> {
  // Warm-ups as the timed runs, idle gaps included: a model settles into the regime it is
  // timed in (its pooled network decides on these whether its kernels split).
  for (let i = 0; i < job.warmup; i++) {
    for (const side of sides) {
      await idle(gap);
      await side.run();
    }
  }
  const ms = sides.map((): number[] => []);
  for (let round = 0; round < job.runs; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      await idle(gap);
      const { ms: t } = await timed(() => side.run());
      (ms[sides.indexOf(side)] as number[]).push(t);
    }
  }
  return ms;
}

/** webnets' kernels over `runs` profiled inferences, and the peak tensor memory. */
export async function profileWebnets(
  tf: Tf,
  side: WebnetsSide,
  runs: number,
  backend: 'wasm' | 'webgpu',
): Promise<RawProfile & { peakBytes: number }> {
  // tfjs otherwise reads every kernel's output back to look for NaNs while profiling.
  const check = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  const records: KernelRecord[][] = [];
  const walls: number[] = [];
  let peakBytes = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const { value: info, ms } = await timed(() => tf.profile(() => side.run()));
      records.push(
        info.kernels.map(({ name, inputShapes, kernelTimeMs }) => ({
          name,
          inputShapes,
          kernelTimeMs,
        })) as KernelRecord[],
      );
      walls.push(ms);
      peakBytes = Math.max(peakBytes, info.peakBytes);
    }
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', check);
  }
  return {
    wallMs: median(walls),
    runs: records,
    peakBytes,
    note:
      backend === 'wasm'
        ? 'WASM kernels run synchronously: kernel times are wall-clock per kernel'
        : 'WebGPU kernel times come from GPU timestamp queries when the adapter has them',
  };
}

/** `residentBytes`: tf.memory() with only the measured model loaded (default: `before`'s). */
export function memoryFacts(
  before: TensorMemory,
  after: TensorMemory,
  peakBytes: number,
  residentBytes = before.numBytes,
): MemoryFacts {
  return {
    residentBytes,
    peakBytes,
    growthBytes: after.numBytes - before.numBytes,
    growthTensors: after.numTensors - before.numTensors,
    wasmHeapBefore: before.heap,
    wasmHeapAfter: after.heap,
  };
}

export interface TensorMemory {
  numBytes: number;
  numTensors: number;
  heap: number | null;
}

export function tensorMemory(tf: Tf): TensorMemory {
  const { numBytes, numTensors } = tf.memory();
  return { numBytes, numTensors, heap: wasmHeapBytes(tf) };
}
