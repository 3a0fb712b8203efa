import { describe, expect, it } from 'vitest';
import { KEPT_UNIFORMS, keepUniforms } from '../../src/backend/webgpu-uniforms';

/**
 * A stand-in for tfjs' WebGPUBackend as keepUniforms touches it: makeUniforms takes a pooled
 * buffer, writes it and queues it for release after the next submit (backend_webgpu.ts 4.22).
 */
function fakeBackend() {
  const written: { buffer: object; bytes: string }[] = [];
  const backend = {
    uniformPendingDisposal: [] as unknown[],
    makeUniforms(programUniform: { type: string; data: number[] }[]) {
      const buffer = { id: written.length };
      written.push({ buffer, bytes: JSON.stringify(programUniform) });
      this.uniformPendingDisposal.push(buffer);
      return { offset: 0, size: 16, buffer };
    },
  };
  return { backend, written };
}

const shapes = (n: number, extra: number) => [
  { type: 'float32', data: [NaN] },
  { type: 'float32', data: [Infinity] },
  { type: 'int32', data: [1, n, n, 8] },
  { type: 'float32', data: [extra] },
];

describe('keepUniforms', () => {
  it('writes each distinct content once and keeps its buffer out of the pool', () => {
    const { backend, written } = fakeBackend();
    expect(keepUniforms(backend)).toBe(true);
    const first = backend.makeUniforms(shapes(7, 0.5));
    expect(backend.uniformPendingDisposal).toEqual([]);
    const again = backend.makeUniforms(shapes(7, 0.5));
    expect(again).toBe(first);
    expect(written).toHaveLength(1);
    const other = backend.makeUniforms(shapes(14, 0.5));
    expect(other.buffer).not.toBe(first.buffer);
    expect(written).toHaveLength(2);
  });

  it('tells floats apart by their bits: NaN, Infinity, 0 and -0', () => {
    const { backend, written } = fakeBackend();
    keepUniforms(backend);
    for (const v of [NaN, Infinity, 0, -0, NaN, 0]) backend.makeUniforms(shapes(7, v));
    expect(written).toHaveLength(4);
  });

  it('returns the oldest buffer to the pool past its limit', () => {
    const { backend, written } = fakeBackend();
    keepUniforms(backend);
    for (let i = 0; i <= KEPT_UNIFORMS; i++) backend.makeUniforms(shapes(i + 1, 0));
    expect(backend.uniformPendingDisposal).toEqual([written[0]!.buffer]);
    backend.makeUniforms(shapes(1, 0)); // dropped: written again
    expect(written).toHaveLength(KEPT_UNIFORMS + 2);
  });

  it('changes nothing on a backend without tfjs 4.22’s makeUniforms', () => {
    const other = { makeUniforms: 'not a function' };
    expect(keepUniforms(other)).toBe(false);
    expect(other.makeUniforms).toBe('not a function');
  });
});
