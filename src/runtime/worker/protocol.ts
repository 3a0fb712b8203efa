/**
 * The messages between a page's worker-mode model (client.ts) and the model in its worker
 * (server.ts). The client sends one request at a time and waits for its answer (calls keep
 * their order and run one at a time, as on the main thread); only `abort` may overtake the
 * `load` it cancels. Side messages (`progress`, `storage`) may come before an answer.
 */
import type { Precision } from '../../backend/precision';
import type { LoadProgress } from '../../weights/load';
import type { PackDtype } from '../../weights/pack';
import type { WasmPaths } from '../../backend/activate';
import type { BackendName, BackendOption } from '../../backend/policy';
import type { Classification, ClassifyOptions, ModelInfo } from '../model';
import type { WireSource } from './wire';

/** The `load` options that cross as they are (onProgress, signal and worker stay with the page). */
export interface WireLoadOptions {
  backend?: BackendOption;
  /** Absolute: resolved against the page, not the worker script. */
  weightsUrl?: string;
  synthetic?: boolean | number;
  cache?: boolean;
  calibrate?: boolean;
  verifyWebGPU?: boolean;
  threads?: number | 'auto';
  stallTimeout?: number;
  /** Absolute, like weightsUrl. */
  wasmPaths?: WasmPaths;
  pretrained?: boolean;
  /** Absolute, like weightsUrl (so are the checkpoints' urls). */
  baseUrl?: string;
  checkpoints?: Record<string, { url: string; sha256: string }>;
  dtype?: PackDtype;
  precision?: Precision;
}

export type CallMethod = 'classify' | 'predict' | 'embed';

export type Request =
  | {
      type: 'load';
      id: string;
      options: WireLoadOptions;
      /** Whether to send `progress` messages (the page gave onProgress). */
      progress: boolean;
      /** The Web Lock the worker holds for its lifetime, so the page notices it is gone. */
      lock: string | null;
      /** The page's localStorage entries of webnets (calibration records), by key. */
      storage: Record<string, string>;
    }
  | { type: 'abort'; reason: unknown }
  /** `options`: classify's, checked by the page and made plain data (plainClassifyOptions). */
  | { type: 'call'; method: CallMethod; source: WireSource; options?: ClassifyOptions };

/** What can change while a model runs (a WebGPU model falls back to WASM and says why). */
export interface ModelState {
  backend: BackendName;
  backendReason: string;
  /** The precision the model runs in (absent: float32). */
  precision?: Precision;
}

export interface LoadedModel extends ModelState {
  id: string;
  inputSize: number;
  info: ModelInfo;
}

export type CallResult = Classification[] | Float32Array;

/** An Error as it crosses: its name (AbortError stays one), message and the worker's stack. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

/** A call's answer gives back the buffer its source came in (wire.ts), for the next call. */
export type Reply =
  /** The worker holds the load's Web Lock (`locked`), or cannot (then nothing is watched). */
  | { type: 'started'; locked: boolean }
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'storage'; key: string; value: string }
  | { type: 'loaded'; model: LoadedModel }
  | { type: 'result'; value: CallResult; state: ModelState; buffer?: ArrayBuffer }
  | { type: 'failed'; error: WireError; state?: ModelState; buffer?: ArrayBuffer };

export function toWireError(err: unknown): WireError {
  if (
    err instanceof Error ||
    (typeof DOMException !== 'undefined' && err instanceof DOMException)
  ) {
    const { name, message, stack } = err as Error;
    return stack === undefined ? { name, message } : { name, message, stack };
  }
  return { name: 'Error', message: String(err) };
}

/**
 * The Error the page sees: the worker's message and stack; an AbortError stays a
 * DOMException named AbortError, as AbortSignal users check.
 */
export function fromWireError(wire: WireError): Error {
  const error =
    wire.name === 'AbortError' && typeof DOMException !== 'undefined'
      ? (new DOMException(wire.message, 'AbortError') as Error)
      : new Error(wire.message);
  if (error.name !== wire.name) error.name = wire.name;
  if (wire.stack !== undefined) {
    try {
      error.stack = wire.stack;
    } catch {
      // DOMException's stack may be read-only: its own (the page's) stays.
    }
  }
  return error;
}
