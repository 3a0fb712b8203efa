/**
 * The pieces of `precision: 'float16'` that need no GPU: the option's check, which precision
 * runs where and why, the device descriptor (shader-f16 asked for where the adapter has it),
 * WGSL directives hoisted above tfjs' declarations, the kernels' view of float16 weights, and
 * the Dawn bench's webgpu-f16 side. On a GPU: float16.dawn.test.ts (Dawn) and
 * e2e/webgpu-float16.spec.ts (Chromium).
 */
import { describe, expect, it } from 'vitest';
import { sidesFor } from '../../bench/dawn/run';
import { checkPrecision, resolvePrecision } from '../../src/backend/precision';
import { deviceDescriptor, hoistEnableDirectives } from '../../src/backend/webgpu';
import { canPackHalves, weightPrecision, weightView } from '../../src/kernels/half';
import { pointwiseStepWgsl, weightReaderWgsl } from '../../src/kernels/wgsl';
import { load } from '../../src/runtime/load';
import { wireLoadOptions } from '../../src/runtime/worker/client';

describe('the precision option', () => {
  it("is 'float32' (default) or 'float16', a bad value named with the allowed ones", async () => {
    expect(checkPrecision(undefined)).toBe('float32');
    expect(checkPrecision('float16')).toBe('float16');
    const named = "precision: expected 'float32' or 'float16', got \"fp16\"";
    expect(() => checkPrecision('fp16')).toThrow(named);
    await expect(
      load('fd-mobilenet-0.25x', { synthetic: true, precision: 'fp16' as 'float16' }),
    ).rejects.toThrow(named);
  });

  it('runs float16 only on WebGPU with shader-f16, else float32 saying why', () => {
    expect(resolvePrecision('float32', 'webgpu', true)).toEqual({
      precision: 'float32',
      reason: null,
    });
    expect(resolvePrecision('float16', 'webgpu', true)).toEqual({
      precision: 'float16',
      reason: null,
    });
    expect(resolvePrecision('float16', 'webgpu', false).reason).toBe(
      "precision 'float16' needs WebGPU's shader-f16, which this adapter lacks",
    );
    expect(resolvePrecision('float16', 'wasm', true)).toEqual({
      precision: 'float32',
      reason: "precision 'float16' runs on WebGPU only, this model runs on wasm",
    });
  });

  it('crosses to the worker', () => {
    expect(wireLoadOptions({ synthetic: true, precision: 'float16' }).precision).toBe('float16');
  });
});

describe('the WebGPU device', () => {
  const adapter = (features: string[]) => ({
    features: new Set(features),
    limits: { maxBufferSize: 1024, maxStorageBufferBindingSize: 512 },
  });

  it('asks for shader-f16 where the adapter has it, with tfjs’ own features and limits', () => {
    expect(deviceDescriptor(adapter(['shader-f16', 'timestamp-query', 'subgroups']))).toEqual({
      requiredFeatures: ['timestamp-query', 'shader-f16'],
      requiredLimits: { maxBufferSize: 1024, maxStorageBufferBindingSize: 512 },
    });
    expect(deviceDescriptor(adapter([])).requiredFeatures).toEqual([]);
  });

  it('moves WGSL enable directives above the declarations tfjs writes first', () => {
    const tfjs = 'struct Uniforms { size : i32, };\n';
    const program = '      enable f16;\n      fn main() {}\n';
    expect(hoistEnableDirectives(tfjs + program + program)).toBe(
      `enable f16;\n${tfjs}\n      fn main() {}\n\n      fn main() {}\n`,
    );
    expect(hoistEnableDirectives(tfjs)).toBe(tfjs);
  });
});

describe('float16 weights in the kernels', () => {
  const f32 = { shape: [3, 3, 1, 8], dtype: 'float32' };
  const halves = { shape: [3, 3, 1, 4], dtype: 'int32' };

  it('are int32 pairs along an even last axis, checked by their values’ shape', () => {
    expect(canPackHalves([1, 1, 16, 8])).toBe(true);
    expect(canPackHalves([3, 3, 16, 1])).toBe(false);
    expect(weightView(halves)).toEqual(f32);
    expect(weightView(f32)).toBe(f32);
    const { precision, view } = weightPrecision('K', { x: f32, dw: halves, pw: halves }, [
      'dw',
      'pw',
    ]);
    expect(precision).toBe('float16');
    expect(view).toEqual({ x: f32, dw: f32, pw: f32 });
    expect(
      weightPrecision('K', { filter: f32 } as Record<string, typeof f32>, [
        'filter',
        'shortcutFilter',
      ]).precision,
    ).toBe('float32');
  });

  it('of one op share a precision', () => {
    expect(() => weightPrecision('K', { dw: halves, pw: f32 }, ['dw', 'pw'])).toThrow(
      'K: weights must all be float32 or all float16 pairs (int32), got dw [3, 3, 1, 4] int32, pw [3, 3, 1, 8] float32',
    );
  });

  it('are read as f16 and multiplied in f16, summed into f32', () => {
    expect(weightReaderWgsl('w', 'W', 'float32')).toBe('fn w(i : i32) -> f32 { return W[i]; }');
    expect(weightReaderWgsl('w', 'W', 'float16')).toContain(
      'bitcast<vec2<f16>>(W[i >> 1u])[i & 1]',
    );
    const step = pointwiseStepWgsl('W', ['x[p]'], '0', 'float16');
    expect(step).toContain('let w0 = bitcast<vec4<f16>>(W[row + 0 * cout4]);');
    expect(step).toContain('let x0 = vec4<f16>(x[p]);');
    expect(step).toContain('acc0 += vec4<f32>(x0.x * w0 + x0.y * w1 + x0.z * w2 + x0.w * w3);');
    expect(pointwiseStepWgsl('W', ['x[p]'])).not.toContain('f16');
  });
});

describe('the Dawn bench’s webgpu-f16 side', () => {
  const all = ['webgpu', 'webgpu-f16', 'wasm1'] as const;
  it('runs where the adapter has shader-f16, is left out of the default sides elsewhere', () => {
    const f16 = { features: ['shader-f16'] };
    const none = { features: ['timestamp-query'] };
    expect(sidesFor({ sides: [...all], sidesGiven: false }, f16)).toEqual(all);
    expect(sidesFor({ sides: [...all], sidesGiven: false }, none)).toEqual(['webgpu', 'wasm1']);
    expect(() => sidesFor({ sides: [...all], sidesGiven: true }, none)).toThrow(
      /--sides webgpu-f16: the adapter lacks shader-f16/,
    );
  });
});
