/**
 * bench/lib/kernel-cases.ts reads the layers from the specs: together its cases are the whole
 * network (every conv's multiply-accumulates at the right map size and count), and the runner
 * prepares each one as the network does, with and without webnets' kernels, to equal results.
 */
import { describe, expect, it } from 'vitest';
import { BENCH_NETWORKS, kernelCases, networkCases } from '../../bench/lib/kernel-cases';
import { runner } from '../../bench/lib/kernel-runner';
import { registerKernels } from '../../src/kernels';
import { complexity, outSide } from '../../src/models/complexity';
import { getSpec } from '../../src/models/presets';
import type { KernelCase } from '../../bench/lib/kernel-cases';
import { tf } from '../../src/tf';

/** Multiply-accumulates of one layer of a case (convs; SE's two 1×1 convs on the pooled map). */
function macs(c: KernelCase): number {
  const op = c.op;
  if (op.kind === 'conv') {
    const { kernel: k, inChannels, outChannels, groups } = op.conv;
    const out = outSide(op.size, op.conv);
    return ((k * k * inChannels * outChannels) / groups) * out * out;
  }
  if (op.kind === 'squeezeExcite') return 2 * op.se.reduce.inChannels * op.se.reduce.outChannels;
  return 0;
}

describe('kernel cases from the specs', () => {
  it.each(BENCH_NETWORKS)('%s: the cases add up to the whole network', (id) => {
    const spec = getSpec(id);
    const cases = networkCases(spec);
    const fc = spec.classifier.inFeatures * spec.classifier.outFeatures;
    const total = cases.reduce((sum, c) => sum + c.count * macs(c), 0);
    expect(total + fc).toBe(complexity(spec).macs);
    expect(new Set(cases.map((c) => c.layer)).size).toBe(cases.length);
  });

  it('counts layers of the same shape once, with their number', () => {
    const fd = networkCases(getSpec('fd-mobilenet-0.5x'));
    // Units 6–10 of FD-MobileNet run their depthwise conv on the 7×7 map of 256 channels.
    expect(fd.find((c) => c.layer === 'dw 7²×256 k3 relu')?.count).toBe(5);
    expect(fd.reduce((n, c) => n + c.count, 0)).toBe(23); // 1 stem + 11 × (depthwise, pointwise)
    const x = networkCases(getSpec('regnetx-400mf'));
    // RegNetX-400MF's last stage: 12 blocks of width 400 (torchvision's), 11 after the first.
    expect(x.find((c) => c.layer === 'grouped 3×3 7²×400 g16 relu')?.count).toBe(11);
    expect(x.find((c) => c.layer === 'add+relu 7²×400')?.count).toBe(12);
    expect(kernelCases().length).toBe(
      BENCH_NETWORKS.reduce((n, id) => n + networkCases(getSpec(id)).length, 0),
    );
  });

  it("runs each case's stock and kernel forms to the same numbers (wasm, webnets' kernels)", async () => {
    await tf.setBackend('wasm');
    expect(await registerKernels('wasm')).toBe(true);
    const sample = ['regnety-400mf', 'efficientnet-b0'].flatMap((id) =>
      networkCases(getSpec(id)).filter((c) => c.layer.includes('7²')),
    );
    expect(new Set(sample.map((c) => c.op.kind))).toEqual(
      new Set(['conv', 'squeezeExcite', 'silu', 'addActivation']),
    );
    for (const c of sample) {
      const r = runner(c);
      try {
        const [a, b] = [r.stock(), r.kernel()];
        const [x, y] = [await a.data(), await b.data()];
        tf.dispose([a, b]);
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < x.length; i++) {
          worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
          scale = Math.max(scale, Math.abs(x[i]!));
        }
        expect(worst / scale, `${c.net} ${c.layer}`).toBeLessThan(1e-4);
      } finally {
        r.dispose();
      }
    }
  });
});
