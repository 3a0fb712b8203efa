import { describe, expect, it } from 'vitest';
import { pickForBudget } from '../../demo/lib/budget';

// Published top-1 (percent) of the source checkpoints.
const top1 = new Map([
  ['fd-mobilenet-0.5x', 56.3],
  ['efficientnet-b0', 77.7],
  ['regnetx-400mf', 72.8],
  ['efficientnet-b1', 78.6],
]);
const timings = [
  { modelId: 'fd-mobilenet-0.5x', config: 'wasm-1', medianMs: 6 },
  { modelId: 'fd-mobilenet-0.5x', config: 'wasm-2', medianMs: 4 },
  { modelId: 'efficientnet-b0', config: 'wasm-1', medianMs: 48 },
  { modelId: 'efficientnet-b0', config: 'wasm-2', medianMs: 29 },
  { modelId: 'regnetx-400mf', config: 'wasm-2', medianMs: 25 },
  { modelId: 'efficientnet-b1', config: 'wasm-2', medianMs: 45 },
  // No published accuracy: never a candidate, however fast.
  { modelId: 'fd-mobilenet-0.25x', config: 'wasm-2', medianMs: 2 },
];

describe('pickForBudget', () => {
  it('names the most accurate model within budget, on its fastest configuration', () => {
    const { pick, fastest, candidates } = pickForBudget(timings, top1, 33);
    expect(pick).toEqual({
      modelId: 'efficientnet-b0',
      config: 'wasm-2',
      medianMs: 29,
      top1: 77.7,
    });
    expect(fastest).toBeNull();
    expect(candidates.map((c) => c.modelId).sort()).toEqual([
      'efficientnet-b0',
      'efficientnet-b1',
      'fd-mobilenet-0.5x',
      'regnetx-400mf',
    ]);
  });

  it('counts a latency equal to the budget as meeting it', () => {
    expect(pickForBudget(timings, top1, 45).pick?.modelId).toBe('efficientnet-b1');
    expect(pickForBudget(timings, top1, 44.9).pick?.modelId).toBe('efficientnet-b0');
  });

  it('when nothing fits, names the fastest candidate instead', () => {
    const { pick, fastest } = pickForBudget(timings, top1, 3);
    expect(pick).toBeNull();
    expect(fastest).toMatchObject({ modelId: 'fd-mobilenet-0.5x', medianMs: 4 });
  });

  it('prefers the faster of two equally accurate models', () => {
    const tie = new Map([
      ['a', 70],
      ['b', 70],
    ]);
    const t = [
      { modelId: 'a', config: 'x', medianMs: 20 },
      { modelId: 'b', config: 'x', medianMs: 10 },
    ];
    expect(pickForBudget(t, tie, 50).pick?.modelId).toBe('b');
  });

  it('rejects a budget that is not a positive number', () => {
    expect(() => pickForBudget(timings, top1, 0)).toThrow(/positive number of ms, got 0/);
    expect(() => pickForBudget(timings, top1, Number.NaN)).toThrow(/got NaN/);
  });
});
