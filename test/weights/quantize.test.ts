import { describe, expect, it } from 'vitest';
import { getSpec } from '../../src/models/presets';
import { paramSpecs } from '../../src/models/spec';
import {
  HALF_MAX,
  floatToHalf,
  halfAtLeast,
  halfAtMost,
  halfToFloat,
} from '../../src/weights/float16';
import { entryByteLength } from '../../src/weights/pack';
import {
  INT8_PACK_BUDGET,
  channelAxis,
  decodeTensor,
  encodeAs,
  storagePlan,
  valuesPerChannel,
} from '../../src/weights/quantize';
import { prng } from '../helpers/mutate';

describe('float16 rounding toward a bound', () => {
  const random = prng(5);
  const values = Array.from({ length: 2000 }, () => (random() - 0.5) * 10 ** (random() * 12 - 8));
  it('halfAtLeast ≥ v and halfAtMost ≤ v, the nearest half one of them', () => {
    for (const v of [...values, 0, -0, 2 ** -24, -(2 ** -24), 1e-9, -1e-9, HALF_MAX, -HALF_MAX]) {
      const up = halfToFloat(halfAtLeast(v));
      const down = halfToFloat(halfAtMost(v));
      expect(up, String(v)).toBeGreaterThanOrEqual(v);
      expect(down, String(v)).toBeLessThanOrEqual(v);
      // Adjacent halves: the nearest half is one of them.
      const nearest = halfToFloat(floatToHalf(v));
      expect([up, down], String(v)).toContain(nearest);
    }
  });
});

describe('int8 codes: per output channel, scale and offset float16 in the bytes', () => {
  const shape = [3, 3, 16, 40];
  const random = prng(11);
  // Channels whose ranges differ by 10⁶, some one-signed, one constant.
  const data = Float32Array.from({ length: 3 * 3 * 16 * 40 }, (_, i) => {
    const c = i % 40;
    if (c === 7) return 0.25;
    return (random() - (c % 3 === 0 ? 0 : 0.5)) * 10 ** ((c % 7) - 4);
  });

  it('decodes every value within half a step of its channel', () => {
    const { entry, bytes } = encodeAs('w', shape, data, 'int8');
    expect(entry).toEqual({ name: 'w', shape, dtype: 'int8', channelAxis: 3 });
    expect(bytes.length).toBe(entryByteLength(entry));
    expect(bytes.length).toBe(data.length + 4 * 40);
    const got = decodeTensor(entry, bytes);
    for (let c = 0; c < 40; c++) {
      const values = data.filter((_, i) => i % 40 === c);
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      const step = ((hi - lo + Math.abs(lo) * 2 ** -10) / 255) * (1 + 2 ** -10) + 2 ** -24;
      data.forEach((v, i) => {
        if (i % 40 === c) expect(Math.abs(got[i]! - v), `[${i}]`).toBeLessThanOrEqual(step / 2);
      });
    }
  });

  it('refuses values float16 cannot hold, and non-finite ones, naming the tensor', () => {
    expect(() => encodeAs('big', [2, 2], Float32Array.of(1, 2, 70000, 3), 'int8')).toThrow(
      /tensor 'big' holds 70000 at index 2, beyond float16's range \(±65504\): convert with --dtype float32/,
    );
    expect(() => encodeAs('big', [4], Float32Array.of(1, 2, 70000, 3), 'float16')).toThrow(
      /tensor 'big' holds 70000 at index 2/,
    );
    expect(() => encodeAs('nan', [4], Float32Array.of(1, NaN, 0, 3), 'float32')).toThrow(
      /tensor 'nan' holds NaN at index 1/,
    );
  });

  it('refuses bytes of the wrong length for the entry', () => {
    const { entry, bytes } = encodeAs('w', shape, data, 'int8');
    expect(() => decodeTensor(entry, bytes.subarray(1))).toThrow(
      /tensor 'w': 5919 bytes, its int8 \[3, 3, 16, 40\] needs 5920/,
    );
  });
});

describe('storagePlan: what an int8 pack keeps float16', () => {
  it('float32 and float16 packs store every tensor in their dtype', () => {
    expect(storagePlan('float16', [[3, 3, 3, 8], [8]])).toEqual(['float16', 'float16']);
    expect(storagePlan('float32', [[3, 3, 3, 8], [8]])).toEqual(['float32', 'float32']);
  });

  it.each(['fd-mobilenet-0.25x', 'fd-mobilenet-0.5x', 'efficientnet-b0', 'regnetx-400mf'])(
    '%s: biases float16, weights float16 fewest values per channel first, within the budget',
    (id) => {
      const params = paramSpecs(getSpec(id));
      const plan = storagePlan(
        'int8',
        params.map((p) => p.shape),
      );
      const weights = params
        .map((p, i) => ({ ...p, dtype: plan[i]! }))
        .filter((p) => p.shape.length > 1);
      expect(params.filter((p, i) => p.shape.length === 1 && plan[i] !== 'float16')).toEqual([]);
      const kept = weights.filter((w) => w.dtype === 'float16');
      const coded = weights.filter((w) => w.dtype === 'int8');
      expect(kept.length).toBeGreaterThan(0);
      expect(Math.max(...kept.map((w) => valuesPerChannel(w.shape)))).toBeLessThanOrEqual(
        Math.min(...coded.map((w) => valuesPerChannel(w.shape))),
      );
      const bytes = params.reduce(
        (n, p, i) =>
          n +
          entryByteLength({
            name: p.name,
            shape: p.shape,
            dtype: plan[i]!,
            channelAxis: channelAxis(p.shape),
          }),
        0,
      );
      const float32 = params.reduce((n, p) => n + 4 * p.shape.reduce((a, b) => a * b, 1), 0);
      expect(bytes / float32).toBeLessThanOrEqual(INT8_PACK_BUDGET);
      expect(plan[params.findIndex((p) => p.name.startsWith('classifier'))]).toBe('int8');
    },
  );
});
