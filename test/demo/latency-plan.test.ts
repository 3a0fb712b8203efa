import { describe, expect, it } from 'vitest';
import {
  RUNNER_MESSAGE_SOURCE,
  backendConfigs,
  isRunnerMessage,
  parseRunnerQuery,
  planCells,
  runnerQuery,
} from '../../demo/lib/latency-plan';

describe('backendConfigs', () => {
  it('offers WebGPU, WASM with 1 and all threads, and CPU on request', () => {
    const configs = backendConfigs({ webgpu: true, isolated: true, cores: 8 }, true);
    expect(configs.map((c) => c.key)).toEqual(['webgpu', 'wasm-1', 'wasm-8', 'cpu']);
    expect(configs[2]).toMatchObject({ backend: 'wasm', threads: 8, label: 'WASM · 8 threads' });
  });

  it('offers one WASM configuration when threads are impossible or pointless', () => {
    expect(
      backendConfigs({ webgpu: false, isolated: false, cores: 8 }, false).map((c) => c.key),
    ).toEqual(['wasm-1']);
    expect(
      backendConfigs({ webgpu: false, isolated: true, cores: 1 }, false).map((c) => c.key),
    ).toEqual(['wasm-1']);
  });
});

describe('cells and the runner query', () => {
  const configs = backendConfigs({ webgpu: true, isolated: true, cores: 2 }, false);
  const cells = planCells(
    [
      {
        id: 'fd-mobilenet-0.5x',
        weightsUrl: 'http://localhost/packs/fd-mobilenet-0.5x/model.json',
      },
      { id: 'efficientnet-b0', weightsUrl: null },
      {
        id: 'regnetx-400mf',
        weightsUrl: null,
        pretrained: { baseUrl: 'http://localhost:9/mirror' },
      },
    ],
    configs,
  );

  it('runs every model on every configuration, backend by backend', () => {
    expect(cells.map((c) => `${c.config.key}/${c.modelId}`)).toEqual([
      'webgpu/fd-mobilenet-0.5x',
      'webgpu/efficientnet-b0',
      'webgpu/regnetx-400mf',
      'wasm-1/fd-mobilenet-0.5x',
      'wasm-1/efficientnet-b0',
      'wasm-1/regnetx-400mf',
      'wasm-2/fd-mobilenet-0.5x',
      'wasm-2/efficientnet-b0',
      'wasm-2/regnetx-400mf',
    ]);
  });

  it('round-trips a cell through the query string', () => {
    const p = parseRunnerQuery('?' + runnerQuery(cells[6]!, { warmup: 3, runs: 20 }));
    expect(p).toEqual({
      model: 'fd-mobilenet-0.5x',
      key: 'wasm-2',
      backend: 'wasm',
      threads: 2,
      weightsUrl: 'http://localhost/packs/fd-mobilenet-0.5x/model.json',
      pretrained: null,
      warmup: 3,
      runs: 20,
    });
    const synthetic = parseRunnerQuery(runnerQuery(cells[1]!, { warmup: 0, runs: 1 }));
    expect(synthetic.weightsUrl).toBeNull();
    expect(synthetic.threads).toBeUndefined();
    expect(synthetic.pretrained).toBeNull();
  });

  it('carries where a pretrained cell reads its checkpoint from, and only without a pack', () => {
    const own = { url: 'http://localhost:9/own/rx.pth', sha256: 'ab'.repeat(32) };
    const [cell] = planCells(
      [
        {
          id: 'regnetx-400mf',
          weightsUrl: null,
          pretrained: {
            baseUrl: 'http://localhost:9/mirror',
            checkpoints: { 'regnetx-400mf': own },
          },
        },
      ],
      configs.slice(1, 2),
    );
    expect(parseRunnerQuery(runnerQuery(cell!, { warmup: 0, runs: 1 })).pretrained).toEqual({
      baseUrl: 'http://localhost:9/mirror',
      checkpoints: { 'regnetx-400mf': own },
    });
    const [packed] = planCells(
      [{ id: 'fd-mobilenet-0.5x', weightsUrl: 'http://x/model.json', pretrained: {} }],
      configs.slice(1, 2),
    );
    expect(packed!.pretrained).toBeNull();
  });

  it('rejects a bad query, naming the parameter', () => {
    expect(() => parseRunnerQuery('model=a&backend=webgl&warmup=1&runs=1')).toThrow(
      /'backend' must be webgpu, wasm or cpu, got "webgl"/,
    );
    expect(() => parseRunnerQuery('model=a&backend=wasm&warmup=1&runs=0')).toThrow(
      /'runs' must be an integer ≥ 1, got "0"/,
    );
    expect(() => parseRunnerQuery('backend=wasm&warmup=1&runs=1')).toThrow(/'model' is missing/);
  });
});

describe('isRunnerMessage', () => {
  it('accepts the runner protocol and ignores anything else on the window', () => {
    const result = {
      modelId: 'a',
      configKey: 'wasm-1',
      backend: 'wasm',
      backendReason: '',
      synthetic: true,
      timeToFirstMs: 5,
      samplesMs: [1, 2],
    };
    expect(isRunnerMessage({ source: RUNNER_MESSAGE_SOURCE, type: 'result', result })).toBe(true);
    expect(
      isRunnerMessage({
        source: RUNNER_MESSAGE_SOURCE,
        type: 'progress',
        phase: 'timing',
        done: 1,
        total: 5,
      }),
    ).toBe(true);
    expect(isRunnerMessage({ source: RUNNER_MESSAGE_SOURCE, type: 'error', message: 'x' })).toBe(
      true,
    );
    expect(isRunnerMessage({ source: 'vite', type: 'result', result })).toBe(false);
    expect(
      isRunnerMessage({
        source: RUNNER_MESSAGE_SOURCE,
        type: 'result',
        result: { samplesMs: 'no' },
      }),
    ).toBe(false);
    expect(isRunnerMessage('hello')).toBe(false);
  });
});
