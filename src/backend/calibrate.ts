/**
 * `calibrate: true`: the policy's rules are a good guess, a measurement is better. Both
 * candidates run the real model; the faster one is kept and remembered per device and
 * model (memory.ts: localStorage, so the next page load skips the measurement).
 *
 * The device key holds what changes the answer: the adapter, the core count, whether the
 * page is cross-origin isolated (threads) and the threads option.
 */
import { median } from '../numeric';
import { tf } from '../tf';
import { runOn } from './activate';
import { recall, remember } from './memory';
import type { BackendFacts, BackendPlan } from './policy';
import { adapterName, backendPlan } from './policy';
import type { Binder, Bound, StartOptions, Started } from './start';
import { startFirst } from './start';

export interface CalibrationRecord {
  backend: 'webgpu' | 'wasm';
  /** Median milliseconds per inference after warm-up; Infinity when the candidate failed. */
  ms: { webgpu: number; wasm: number };
  /** ISO date of the measurement. */
  at: string;
}

const prefix = 'webnets.calibration.v1';

export function calibrationKey(
  modelId: string,
  facts: BackendFacts,
  threads: number | 'auto' | undefined,
): string {
  const nav = globalThis.navigator as { hardwareConcurrency?: number } | undefined;
  const adapter = facts.webgpu.status === 'ok' ? adapterName(facts.webgpu.adapter) : 'none';
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return [
    prefix,
    modelId,
    adapter,
    `cores=${nav?.hardwareConcurrency ?? '?'}`,
    `isolated=${isolated}`,
    `threads=${threads ?? 'auto'}`,
  ].join('|');
}

function isRecord(value: unknown): value is CalibrationRecord {
  const r = value as CalibrationRecord | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    (r.backend === 'webgpu' || r.backend === 'wasm') &&
    typeof r.ms === 'object' &&
    r.ms !== null
  );
}

export function recallCalibration(key: string): CalibrationRecord | null {
  return recall(key, isRecord);
}

export function rememberCalibration(key: string, record: CalibrationRecord): void {
  remember(key, record);
}

/** Median wall time of `runs` calls of `once` (already warmed up). */
export async function medianMs(once: () => Promise<void>, runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  return median(times);
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} ms/inference` : 'failed';
}

/** 'calibrated on this device: wasm 41.2 ms/inference, webgpu 87.5 ms/inference' */
export function describeCalibration(record: CalibrationRecord, remembered: boolean): string {
  const other = record.backend === 'webgpu' ? 'wasm' : 'webgpu';
  const times = `${record.backend} ${ms(record.ms[record.backend])}, ${other} ${ms(record.ms[other])}`;
  return remembered
    ? `calibrated earlier on this device (${record.at.slice(0, 10)}): ${times}`
    : `calibrated on this device: ${times}`;
}

/**
 * Starts a model where it runs fastest on this device: the remembered answer, else both
 * candidates started and timed on the model (the slower freed). Returns the plan the
 * model runs on: the faster backend, then 'auto''s fallback for it.
 */
export async function calibratedStart<B extends Bound>(
  modelId: string,
  facts: BackendFacts,
  bind: Binder<B>,
  options: StartOptions,
): Promise<{ plan: BackendPlan; started: Started<B> }> {
  const key = calibrationKey(modelId, facts, options.threads);
  const known = recallCalibration(key);
  if (known !== null) {
    const plan = backendPlan(known.backend, describeCalibration(known, true), true);
    return { plan, started: await startFirst(plan, bind, options) };
  }
  const ms = { webgpu: Infinity, wasm: Infinity };
  let best: Started<B> | null = null;
  for (const name of ['wasm', 'webgpu'] as const) {
    let candidate: Started<B>;
    try {
      candidate = await startFirst({ order: [name], reason: '' }, bind, options);
    } catch (err) {
      options.signal?.throwIfAborted();
      if (name === 'wasm') throw err; // nothing to fall back to
      continue;
    }
    // Timed as the model will run: the network carries its own thread setting.
    const { network } = candidate.bound;
    const size = network.spec.inputSize;
    ms[name] = await medianMs(async () => {
      const logits = await runOn(name, () =>
        tf.tidy(() => network.logits(tf.zeros([1, size, size, 3]))),
      );
      await logits.data();
      logits.dispose();
    });
    if (best === null || ms[name] < ms[best.active.name as 'wasm' | 'webgpu']) {
      best?.bound.network.dispose();
      best = candidate;
    } else {
      network.dispose();
    }
  }
  if (best === null) throw new Error('calibration: no backend could run the model');
  const record: CalibrationRecord = {
    backend: best.active.name as 'wasm' | 'webgpu',
    ms,
    at: new Date().toISOString(),
  };
  rememberCalibration(key, record);
  const plan = backendPlan(record.backend, describeCalibration(record, false), true);
  return { plan, started: { ...best, reason: plan.reason } };
}
