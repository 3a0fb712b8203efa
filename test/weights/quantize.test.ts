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
import type { EntryDtype } from '../../src/weights/pack';
import { entryByteLength } from '../../src/weights/pack';
import {
  INT8_PACK_BUDGET,
  channelAxis,
  decodeTensor,
  encodeAs,
  roundKeepingSum,
  int8Error,
  storagePlan,
} from '../../src/weights/quantize';
import type { PlannedTensor } from '../../src/weights/quantize';
import { syntheticValues } from '../../src/weights/synthetic';
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

  it("decodes every value within one step of its channel, each channel's sum within half a step", () => {
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
      let sum = 0;
      data.forEach((v, i) => {
        if (i % 40 !== c) return;
        expect(Math.abs(got[i]! - v), `[${i}]`).toBeLessThan(step);
        sum += got[i]! - v;
      });
      // float32 decoding adds at most an ulp of each value to the sum.
      const slack = values.reduce((a, v) => a + Math.abs(v), 0) * 2 ** -23;
      expect(Math.abs(sum), `channel ${c}`).toBeLessThanOrEqual(step / 2 + slack);
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

describe("roundKeepingSum: codes whose sum is the values' sum", () => {
  const random = prng(23);
  const nearestExcess = (exact: Float64Array) => exact.reduce((a, v) => a + Math.round(v) - v, 0);

  it.each([1, 2, 9, 27, 64, 144, 1280])(
    '%i values: each code a neighbour of its value, the sum within half a step, the fewest changes',
    (n) => {
      for (let trial = 0; trial < 20; trial++) {
        const exact = Float64Array.from({ length: n }, () => random() * 255);
        const codes = roundKeepingSum(exact);
        let sum = 0;
        let changed = 0;
        exact.forEach((v, k) => {
          expect(codes[k]!, `${v}`).toBeGreaterThanOrEqual(Math.floor(v));
          expect(codes[k]!, `${v}`).toBeLessThanOrEqual(Math.ceil(v));
          sum += codes[k]! - v;
          if (codes[k] !== Math.round(v)) changed++;
        });
        expect(Math.abs(sum)).toBeLessThanOrEqual(0.5 + 1e-9);
        expect(changed).toBe(Math.round(Math.abs(nearestExcess(exact))));
      }
    },
  );

  it('changes the values nearest half a step, and none at the ends of the range', () => {
    // Nearest rounding: 0.4→0, 1.45→1, 2.3→2, 3.1→3: sum off by −1.25 steps, one change.
    expect([...roundKeepingSum(Float64Array.of(0.4, 1.45, 2.3, 3.1))]).toEqual([0, 2, 2, 3]);
    // Exact codes stay put; values a hair outside 0…255 (float rounding) keep the end
    // codes rather than wrapping around the byte.
    expect([...roundKeepingSum(Float64Array.of(0, 255, 7, 7))]).toEqual([0, 255, 7, 7]);
    expect([...roundKeepingSum(Float64Array.of(255.4, 255.4, 255.4))]).toEqual([255, 255, 255]);
    expect([...roundKeepingSum(Float64Array.of(-0.4, -0.4, -0.4))]).toEqual([0, 0, 0]);
  });
});

describe('storagePlan: what an int8 pack keeps float16', () => {
  const tensor = (shape: number[], data: Float32Array): PlannedTensor => ({
    shape,
    values: () => data,
  });
  const unread = (shape: number[]): PlannedTensor => ({
    shape,
    values: () => {
      throw new Error('float32 and float16 plans read no values');
    },
  });

  it('float32 and float16 packs store every tensor in their dtype', () => {
    const tensors = [unread([3, 3, 3, 8]), unread([8])];
    expect(storagePlan('float16', tensors)).toEqual(['float16', 'float16']);
    expect(storagePlan('float32', tensors)).toEqual(['float32', 'float32']);
  });

  it('int8Error: the share of each channel that its codes lose, scale-free', () => {
    const random = prng(31);
    const uniform = Float32Array.from({ length: 64 * 16 }, () => random() - 0.5);
    const error = int8Error([64, 16], uniform);
    // Uniform values over the range: a step of 1/255 of it, errors of variance step²/12,
    // against a signal of variance range²/12: about 255⁻².
    expect(error).toBeGreaterThan(0.5 / 255 ** 2);
    expect(error).toBeLessThan(2 / 255 ** 2);
    // Channels scaled by 10⁻²…10^1.75 lose the same share (up to float16's affine rounding).
    const scaled = int8Error(
      [64, 16],
      uniform.map((v, i) => v * 10 ** ((i % 16) / 4 - 2)),
    );
    expect(Math.abs(scaled / error - 1)).toBeLessThan(0.02);
    // One value 50× the others' reach in each channel: a step 25× coarser for every
    // value (error ×625) against a signal only ~120× larger.
    const spiky = uniform.map((v, i) => (i < 16 ? 25 : v));
    expect(int8Error([64, 16], spiky)).toBeGreaterThan(4 * error);
    expect(int8Error([4, 16], new Float32Array(64))).toBe(0);
  });

  it('keeps float16 the weights whose codes lose most per extra byte, not the first of a shape', () => {
    const random = prng(37);
    const shape = [1, 1, 32, 64];
    const gaussian = () => {
      const u = Math.max(random(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    };
    const plain = Float32Array.from({ length: 32 * 64 }, () => random() - 0.5);
    // Heavy tails: a few values per channel far out, as in trained 1×1 convs.
    const heavy = Float32Array.from({ length: 32 * 64 }, () => gaussian() ** 3);
    const tensors = [tensor(shape, plain), tensor([64], new Float32Array(64))];
    tensors.push(tensor(shape, heavy), tensor([64], new Float32Array(64)));
    // Room for one of the two weights in float16, not both.
    const float32 = 4 * (2 * 32 * 64 + 2 * 64);
    const oneFloat16 = 2 * 32 * 64 + (32 * 64 + 4 * 64) + 2 * 2 * 64;
    const plan = storagePlan('int8', tensors, (oneFloat16 + 16) / float32);
    expect(plan).toEqual(['int8', 'float16', 'float16', 'float16']);
  });

  it.each(['fd-mobilenet-0.25x', 'efficientnet-b0', 'regnetx-400mf'])(
    '%s: biases float16, the budget held and used, float16 in order of loss per byte',
    (id) => {
      const params = paramSpecs(getSpec(id));
      const data = params.map((p) => syntheticValues(p, 0));
      const plan = storagePlan(
        'int8',
        params.map((p, i) => tensor(p.shape, data[i]!)),
      );
      expect(params.filter((p, i) => p.shape.length === 1 && plan[i] !== 'float16')).toEqual([]);
      const size = (shape: number[], dtype: EntryDtype) =>
        entryByteLength({ name: '', shape, dtype, channelAxis: channelAxis(shape) });
      const weights = params
        .map((p, i) => {
          const extra = size(p.shape, 'float16') - size(p.shape, 'int8');
          return {
            ...p,
            dtype: plan[i]!,
            extra,
            lossPerByte: int8Error(p.shape, data[i]!) / extra,
          };
        })
        .filter((p) => p.shape.length > 1);
      const kept = weights.filter((w) => w.dtype === 'float16');
      const coded = weights.filter((w) => w.dtype === 'int8');
      expect(kept.length).toBeGreaterThan(0);
      const bytes = params.reduce((n, p, i) => n + size(p.shape, plan[i]!), 0);
      const float32 = params.reduce((n, p) => n + 4 * p.shape.reduce((a, b) => a * b, 1), 0);
      expect(bytes / float32).toBeLessThanOrEqual(INT8_PACK_BUDGET);
      for (const w of coded) {
        // No int8 weight would still fit in float16: the budget is used ...
        expect((bytes + w.extra) / float32, w.name).toBeGreaterThan(INT8_PACK_BUDGET);
        // ... and one that loses more per byte than a float16 one did not fit at its turn:
        // it is larger than every float16 weight that loses less.
        for (const k of kept.filter((k) => k.lossPerByte < w.lossPerByte)) {
          expect(w.extra, `${w.name} int8, ${k.name} float16`).toBeGreaterThan(k.extra);
        }
      }
      expect(plan[params.findIndex((p) => p.name.startsWith('classifier'))]).toBe('int8');
    },
  );
});
