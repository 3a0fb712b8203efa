import { describe, expect, it } from 'vitest';
import { toCsv } from '../../demo/lib/export';
import { CSV_COLUMNS, fitsByConfig, toRow } from '../../demo/lib/latency-results';
import type { CellResult } from '../../demo/lib/latency-plan';

const G = 1e9;
const M = 1e6;
const models = {
  'regnetx-200mf': {
    complexity: { params: 2.7 * M, macs: 0.2 * G, activations: 2.2 * M },
    top1: 68.9,
  },
  'regnetx-400mf': {
    complexity: { params: 5.2 * M, macs: 0.4 * G, activations: 3.1 * M },
    top1: 72.8,
  },
  'efficientnet-b0': {
    complexity: { params: 5.3 * M, macs: 0.4 * G, activations: 6.7 * M },
    top1: 77.7,
  },
  'efficientnet-b1': {
    complexity: { params: 7.8 * M, macs: 0.7 * G, activations: 10.9 * M },
    top1: null,
  },
};
const result = (
  modelId: keyof typeof models,
  configKey: string,
  samplesMs: number[],
): CellResult => ({
  modelId,
  configKey,
  backend: 'wasm',
  backendReason: 'requested',
  synthetic: modelId !== 'regnetx-200mf',
  timeToFirstMs: 250,
  samplesMs,
});

describe('toRow', () => {
  it('summarizes the samples and joins the model’s complexity and accuracy', () => {
    const row = toRow(
      result('regnetx-200mf', 'wasm-1', [20, 10, 12, 11, 30]),
      'WASM · 1 thread',
      models['regnetx-200mf'],
    );
    expect(row).toMatchObject({
      medianMs: 12,
      runs: 5,
      weights: 'pretrained',
      fps: 1000 / 12,
      macs: 0.2 * G,
      top1: 68.9,
      timeToFirstMs: 250,
    });
    // numpy.percentile([10, 11, 12, 20, 30], 95) = 28
    expect(row.p95Ms).toBeCloseTo(28, 12);
  });

  it('refuses a result without samples', () => {
    expect(() =>
      toRow(result('regnetx-400mf', 'wasm-1', []), 'x', models['regnetx-400mf']),
    ).toThrow(/regnetx-400mf on wasm-1 has no samples/);
  });

  it('exports one CSV line per row with the published accuracy column', () => {
    const row = toRow(
      result('efficientnet-b1', 'wasm-2', [40]),
      'WASM · 2 threads',
      models['efficientnet-b1'],
    );
    const lines = toCsv(CSV_COLUMNS, [row]).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'model,config,backend,backend_reason,weights,runs,median_ms,p95_ms,mean_ms,first_prediction_ms,fps,params,macs,activations,top1_percent',
    );
    expect(lines[1]).toBe(
      'efficientnet-b1,wasm-2,wasm,requested,synthetic,1,40,40,40,250,25,7800000,700000000,10900000,',
    );
  });
});

describe('fitsByConfig', () => {
  it('fits each configuration separately and explains fits it cannot make', () => {
    const ids = Object.keys(models) as (keyof typeof models)[];
    // Latency = 20 ms/GMAC + 3 ms/M activations + 2 ms on wasm-1.
    const rows = ids.map((id) => {
      const c = models[id].complexity;
      return toRow(
        result(id, 'wasm-1', [20 * (c.macs / G) + 3 * (c.activations / M) + 2]),
        'WASM · 1 thread',
        models[id],
      );
    });
    rows.push(toRow(result('regnetx-200mf', 'webgpu', [5]), 'WebGPU', models['regnetx-200mf']));
    const fits = fitsByConfig(rows);
    expect(fits.map((f) => f.configKey)).toEqual(['wasm-1', 'webgpu']);
    const both = fits[0]!.fits.find((f) => f.predictors.length === 2)!;
    expect(both.fit?.a).toBeCloseTo(20, 8);
    expect(both.fit?.b).toBeCloseTo(3, 8);
    expect(both.fit?.c).toBeCloseTo(2, 8);
    expect(
      fits[1]!.fits.every((f) => f.fit === null && /needs at least/.test(f.reason ?? '')),
    ).toBe(true);
  });
});
