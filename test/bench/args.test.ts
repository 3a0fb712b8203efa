import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parse } from '../../bench/ort/args';

describe('npm run bench options', () => {
  const all = availableParallelism();
  const defaults = all > 1 ? ['wasm1', `wasm${all}`, 'wasmauto'] : ['wasm1', 'wasmauto'];

  it('runs the four models on wasm1, wasm<all cores> and wasmauto by default', () => {
    const options = parse([]);
    expect(options?.models).toEqual([
      'fd-mobilenet-0.5x',
      'efficientnet-b0',
      'regnety-400mf',
      'regnetx-400mf',
    ]);
    expect(options?.backends).toEqual(defaults);
    expect(options?.runs).toBe(20);
    expect(options?.build).toBe(true);
  });

  it('adds the WebGPU page with --webgpu, once, to the default or the given backends', () => {
    expect(parse(['--webgpu'])?.backends).toEqual([...defaults, 'webgpu']);
    expect(parse(['--backends', 'wasm1', '--webgpu'])?.backends).toEqual(['wasm1', 'webgpu']);
    expect(parse(['--backends', 'webgpu,wasm1', '--webgpu'])?.backends).toEqual([
      'webgpu',
      'wasm1',
    ]);
  });

  it('names the option and the value it rejects', () => {
    expect(() => parse(['--backends', 'wasm0'])).toThrow(/'wasm0' is not a backend/);
    expect(() => parse(['--runs', '0'])).toThrow(/--runs is '0': expected a whole number ≥ 1/);
    expect(() => parse(['--webnets-call', 'fast'])).toThrow(/--webnets-call is 'fast'/);
    expect(parse(['--help'])).toBeNull();
  });
});
