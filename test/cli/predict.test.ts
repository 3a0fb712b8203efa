/**
 * `npx webnets predict` with the FD-MobileNet authors' weights: the reference inputs give
 * the PyTorch reference outputs, and so does every photo through webnets' own
 * preprocessing (Pillow's resize), on cpu and wasm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webnets } from '../helpers/cli';

const checkpoint = '../shared/weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar';
const checkpoints = {
  'fd-mobilenet-0.25x': '../shared/weights/fd-mobilenet/0.25x-FDMobileNet-224.pth.tar',
  'fd-mobilenet-0.5x': checkpoint,
};
const reference = '../shared/reference/fd-mobilenet.json';
const photos = ['chelsea', 'coffee', 'camera', 'motorcycle_left'];

type Reference = {
  models: Record<string, Record<string, { top5: [number, number][]; logits: number[] }>>;
};

interface Prediction {
  model: string;
  backend: string;
  synthetic: boolean;
  top: { index: number; label: string; probability: number }[];
  logits?: number[];
}

let dir: string;
let pack: string;
const packs: Record<string, string> = {};

beforeAll(async () => {
  const images = photos.map((p) => `../shared/images/${p}.png`);
  for (const path of [...Object.values(checkpoints), reference, ...images]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: see ../shared/README.md`);
  }
  dir = await mkdtemp(join(tmpdir(), 'webnets-predict-'));
  for (const [model, file] of Object.entries(checkpoints)) {
    packs[model] = join(dir, model);
    const converted = await webnets('convert', file, '--arch', model, '--out', packs[model]);
    expect(converted.code, converted.stderr).toBe(0);
  }
  pack = packs['fd-mobilenet-0.5x']!;
}, 120_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('webnets predict', () => {
  it.each(['cpu', 'wasm'])(
    '--input coffee.input.f32 reproduces the PyTorch logits and top-5 on %s',
    async (backend) => {
      const { code, stdout, stderr } = await webnets(
        'predict',
        '--model',
        pack,
        '--input',
        '../shared/reference/coffee.input.f32',
        '--backend',
        backend,
        '--logits',
        '--json',
      );
      expect(code, stderr).toBe(0);
      const got = JSON.parse(stdout) as Prediction;
      const want = (JSON.parse(readFileSync(reference, 'utf8')) as Reference).models[
        'fd-mobilenet-0.5x'
      ]!.coffee!;
      expect(got).toMatchObject({ model: 'fd-mobilenet-0.5x', backend, synthetic: false });
      expect(got.top.map((c) => c.index)).toEqual(want.top5.map(([i]) => i));
      got.top.forEach((c, i) => expect(c.probability).toBeCloseTo(want.top5[i]![1], 4));
      const scale = Math.max(1, ...want.logits.map(Math.abs));
      expect(
        Math.max(...want.logits.map((v, i) => Math.abs(v - got.logits![i]!))),
      ).toBeLessThanOrEqual(1e-3 * scale);
    },
  );

  const photoCases = Object.keys(checkpoints).flatMap((model) =>
    photos.flatMap((photo) => ['cpu', 'wasm'].map((backend) => [model, photo, backend] as const)),
  );
  it.each(photoCases)(
    '%s --image %s.png on %s: PyTorch’s logits within 1e-2 of the largest, its top-5 in order',
    async (model, photo, backend) => {
      const { code, stdout, stderr } = await webnets(
        'predict',
        '--model',
        packs[model]!,
        '--image',
        `../shared/images/${photo}.png`,
        '--backend',
        backend,
        '--logits',
        '--json',
      );
      expect(code, stderr).toBe(0);
      const got = JSON.parse(stdout) as Prediction;
      const want = (JSON.parse(readFileSync(reference, 'utf8')) as Reference).models[model]![
        photo
      ]!;
      expect(got.top.map((c) => c.index)).toEqual(want.top5.map(([i]) => i));
      const largest = Math.max(...want.logits.map(Math.abs));
      const maxDiff = Math.max(...want.logits.map((v, i) => Math.abs(v - got.logits![i]!)));
      expect(maxDiff).toBeLessThanOrEqual(1e-2 * largest);
    },
    60_000,
  );

  it('--image chelsea.png is an Egyptian cat, through the pack’s own preprocessing', async () => {
    const { code, stdout } = await webnets(
      'predict',
      '--model',
      join(pack, 'model.json'),
      '--image',
      '../shared/images/chelsea.png',
      '--top',
      '3',
      '--json',
    );
    expect(code).toBe(0);
    const got = JSON.parse(stdout) as Prediction;
    expect(got.top).toHaveLength(3);
    expect(got.top[0]).toMatchObject({ index: 285, label: 'Egyptian cat' });
    expect(got.logits).toBeUndefined();
  });

  it.each([
    [['--input', '../shared/reference/coffee.input.f32'], /--model <pack dir> is required/],
    [
      ['--model', 'PACK', '--image', 'a.png', '--input', 'b.f32'],
      /exactly one of --image and --input/,
    ],
    [
      ['--model', 'PACK', '--input', 'README.md'],
      /README\.md: \d+ bytes, expected 602112 \(float32 NCHW 1×3×224×224\)/,
    ],
    [['--model', 'PACK', '--image', 'README.md'], /README\.md: unsupported image type '\.md'/],
    [
      ['--model', 'PACK', '--image', '../shared/images/chelsea.png', '--backend', 'webgpu'],
      /--backend webgpu: expected cpu or wasm/,
    ],
    [['--model', 'nowhere', '--image', '../shared/images/chelsea.png'], /nowhere: no pack there/],
  ])('refuses %j with a clear error', async (args, message) => {
    const { code, stderr } = await webnets(
      'predict',
      ...args.map((a) => (a === 'PACK' ? pack : a)),
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });
});
