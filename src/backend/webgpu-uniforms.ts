/**
 * Uniforms written once. tfjs' WebGPU backend gives every dispatch a uniform buffer (the
 * inputs' shapes and strides, the program's constants) from its pool and fills it with a
 * `queue.writeBuffer` of its own, at every inference, though a network's ops ask for the
 * same bytes each time. `keepUniforms` makes the backend keep one buffer per distinct
 * content instead, out of the pool: the first inference writes each, later ones none (a
 * new input size writes the few its ops have not seen).
 */

/** What is touched of tfjs-backend-webgpu 4.22's WebGPUBackend (its private makeUniforms). */
interface UniformsBackend {
  makeUniforms(programUniform: ProgramUniform): UniformBinding;
  uniformPendingDisposal: unknown[];
}

type ProgramUniform = { type: string; data: number[] }[];
type UniformBinding = { offset: number; size: number; buffer: unknown };

/** Distinct uniform contents kept per backend (a network has one per op; a few hundred bytes each). */
export const KEPT_UNIFORMS = 2048;

const floatBits = new Int32Array(1);
const floatView = new Float32Array(floatBits.buffer);

/** The uniforms' bytes as a key: floats by their bits (NaN, −0 and Infinity told apart). */
function uniformKey(programUniform: ProgramUniform): string {
  return programUniform
    .map(({ type, data }) => {
      const values =
        type === 'float32'
          ? data.map((v) => {
              floatView[0] = v;
              return floatBits[0];
            })
          : data;
      return `${type}:${values.join(',')}`;
    })
    .join(';');
}

/**
 * Makes `backend` (tfjs' WebGPUBackend) keep its uniform buffers by content. Returns false,
 * changing nothing, if the backend lacks what this relies on (another tfjs version).
 */
export function keepUniforms(backend: object): boolean {
  const b = backend as Partial<UniformsBackend>;
  if (typeof b.makeUniforms !== 'function' || !Array.isArray(b.uniformPendingDisposal)) {
    return false;
  }
  const make = b.makeUniforms.bind(backend);
  const kept = new Map<string, UniformBinding>();
  const target = backend as UniformsBackend;
  target.makeUniforms = (programUniform) => {
    const key = uniformKey(programUniform);
    const found = kept.get(key);
    if (found) return found;
    const binding = make(programUniform);
    // tfjs returns the buffer to its pool after the next submit; a kept one stays out of it,
    // so nothing writes it again.
    const pending = target.uniformPendingDisposal;
    const at = pending.lastIndexOf(binding.buffer);
    if (at >= 0) pending.splice(at, 1);
    if (kept.size >= KEPT_UNIFORMS) {
      const [oldest, dropped] = kept.entries().next().value!;
      kept.delete(oldest);
      pending.push(dropped.buffer); // back to the pool once the work using it is submitted
    }
    kept.set(key, binding);
    return binding;
  };
  return true;
}
