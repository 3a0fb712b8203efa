/**
 * bench/ab's layer sides (bench/ab/core.ts): `--against stock` times each matching layer on
 * tfjs' own ops against webnets' kernels, one line per layer; it needs layers to compare.
 */
import { describe, expect, it } from 'vitest';
import { runAb, type AbOptions } from '../../bench/ab/core';
import { kernelCases } from '../../bench/lib/kernel-cases';
import { tf } from '../../src/tf';

const options: AbOptions = {
  modules: 'stock',
  label: 'stock',
  filter: 'fd-mobilenet-0.5x dw 7²',
  networks: [],
  rounds: 2,
  threads: 1,
};

describe('bench:ab --against stock', () => {
  it("times every matching layer on tfjs' ops and on webnets' kernels, one line each", async () => {
    await tf.setBackend('wasm');
    const lines: string[] = [];
    await runAb(options, (line) => lines.push(line));
    const layers = kernelCases()
      .map((c) => `${c.net} ${c.layer}`)
      .filter((label) => label.includes(options.filter!));
    expect(layers.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(
      /^tfjs' own ops \(stock\) against webnets' kernels, 2 alternated rounds/,
    );
    expect(lines.slice(1).map((line) => line.slice(0, 52).trim())).toEqual(layers);
    for (const line of lines.slice(1)) {
      expect(line).toMatch(
        /stock +\d+\.\d{3} ms {2}now +\d+\.\d{3} ms {2}\d+\.\d{2}× {2}per round/,
      );
    }
  });

  it('refuses to run without layers (networks alone)', async () => {
    await tf.setBackend('wasm');
    await expect(
      runAb({ ...options, filter: null, networks: ['fd-mobilenet-0.5x'] }, () => {}),
    ).rejects.toThrow('--against stock compares layers: give --filter');
  });
});
