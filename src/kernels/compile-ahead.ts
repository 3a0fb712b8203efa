/**
 * Compiling a network's WebGPU pipelines before its first inference, all at once: tfjs'
 * WebGPU backend has a compile-only mode (flag WEBGPU_ENGINE_COMPILE_ONLY) in which running
 * ops creates each new pipeline with `createComputePipelineAsync` and records nothing;
 * `checkCompileCompletionAsync` then waits for them all. The device compiles them in
 * parallel, and the first real inference finds every pipeline ready.
 */
import { tf } from '../tf';

const COMPILE_ONLY = 'WEBGPU_ENGINE_COMPILE_ONLY';

interface CompilingBackend {
  checkCompileCompletionAsync(): Promise<void>;
  /** tfjs' pipelines by shader key: a pipeline, or the promise of one while it compiles. */
  pipelineCache: Record<string, unknown>;
}

/**
 * Runs `run` (the ops whose pipelines to compile: its outputs are disposed unread) in
 * compile-only mode on the WebGPU backend and waits for every pipeline it asked for.
 * Does nothing on other backends. Compiling ahead only saves time: if a pipeline fails,
 * the ones not compiled are dropped from tfjs' cache and the first inference compiles them
 * again, so a failure is reported (and falls back) where it would have been without it.
 * Resolves whether every pipeline compiled.
 */
export async function compileAhead(
  backendName: string,
  run: () => tf.TensorContainer,
): Promise<boolean> {
  if (backendName !== 'webgpu') return false;
  const backend = tf.findBackend('webgpu') as unknown as CompilingBackend | undefined;
  if (!backend || typeof backend.checkCompileCompletionAsync !== 'function') return false;
  try {
    tf.env().set(COMPILE_ONLY, true);
    try {
      tf.dispose(tf.tidy(run));
    } finally {
      tf.env().set(COMPILE_ONLY, false);
    }
    await backend.checkCompileCompletionAsync();
    return true;
  } catch {
    for (const [key, pipeline] of Object.entries(backend.pipelineCache)) {
      if (pipeline instanceof Promise) delete backend.pipelineCache[key];
    }
    return false;
  }
}
