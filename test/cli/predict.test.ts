/**
 * `npx webnets predict` with the FD-MobileNet authors' weights: the reference inputs give
 * the PyTorch reference outputs, and so does every photo through webnets' own
 * preprocessing (Pillow's resize), on cpu and wasm.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

  const predict = async (...args: string[]): Promise<Prediction> => {
    const { code, stdout, stderr } = await webnets(
      'predict',
      '--model',
      pack,
      '--image',
      '../shared/images/chelsea.png',
      '--json',
      ...args,
    );
    expect(code, stderr).toBe(0);
    return JSON.parse(stdout) as Prediction;
  };

  it('--allow, --deny, --score-threshold select among the classes, as classify does', async () => {
    const all = (await predict('--top', '10')).top;
    const denied = await predict('--deny', all[0]!.label, '--deny', String(all[2]!.index));
    expect(denied.top.map((c) => c.index)).toEqual(
      all
        .filter((_, i) => i !== 0 && i !== 2)
        .map((c) => c.index)
        .slice(0, 5),
    );
    const allowed = await predict('--allow', String(all[4]!.index), '--allow', all[1]!.label);
    expect(allowed.top.map((c) => c.index)).toEqual([all[1]!.index, all[4]!.index]);
    expect(allowed.top[1]!.probability).toBeCloseTo(all[4]!.probability, 6);
    const threshold = (all[1]!.probability + all[2]!.probability) / 2;
    const confident = await predict('--score-threshold', String(threshold));
    expect(confident.top.map((c) => c.index)).toEqual([all[0]!.index, all[1]!.index]);
  });

  it('--region classifies that part of the image: as the image cropped there', async () => {
    // chelsea.png (451×300) cropped to its top half (pixel-aligned), written as a PNG.
    const { PNG } = await import('pngjs');
    const photo = PNG.sync.read(readFileSync('../shared/images/chelsea.png'));
    const bottom = 0.5;
    const height = bottom * photo.height;
    expect(Number.isInteger(height)).toBe(true);
    const cropped = new PNG({ width: photo.width, height });
    PNG.bitblt(photo, cropped, 0, 0, photo.width, height, 0, 0);
    const file = join(dir, 'chelsea-top.png');
    writeFileSync(file, PNG.sync.write(cropped));
    const region = await predict('--region', `0,0,1,${bottom}`, '--logits');
    const { code, stdout, stderr } = await webnets(
      'predict',
      '--model',
      pack,
      '--image',
      file,
      '--json',
      '--logits',
    );
    expect(code, stderr).toBe(0);
    const crop = JSON.parse(stdout) as Prediction;
    const whole = await predict('--logits');
    const largest = Math.max(...crop.logits!.map(Math.abs));
    const diff = (a: number[], b: number[]): number =>
      Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    // Resize(256) → CenterCrop(224) never reaches the region's edges, where Pillow's box
    // reads pixels around it: the same bytes up to the coefficients' last bits.
    expect(diff(region.logits!, crop.logits!)).toBeLessThanOrEqual(1e-3 * largest);
    expect(region.top.map((c) => c.index)).toEqual(crop.top.map((c) => c.index));
    expect(diff(region.logits!, whole.logits!)).toBeGreaterThan(1e-2 * largest);
    const all = await predict('--region', '0,0,1,1', '--logits');
    expect(all.logits).toEqual(whole.logits);
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
    [
      ['--model', 'PACK', '--image', '../shared/images/chelsea.png', '--region', '0,0,1'],
      /predict: --region 0,0,1: expected left,top,right,bottom \(4 fractions/,
    ],
    [
      ['--model', 'PACK', '--image', '../shared/images/chelsea.png', '--region', '0,0,2,1'],
      /predict: --region: regionOfInterest\.right is 2: expected a number in \[0, 1\]/,
    ],
    [
      ['--model', 'PACK', '--image', '../shared/images/chelsea.png', '--region', '0.5,0,0.2,1'],
      /predict: --region: regionOfInterest \{ left: 0\.5, top: 0, right: 0\.2, bottom: 1 \} is empty or inverted/,
    ],
    [
      ['--model', 'PACK', '--input', 'x.f32', '--region', '0,0,1,1'],
      /predict: --region needs --image/,
    ],
    [
      ['--model', 'PACK', '--image', '../shared/images/chelsea.png', '--score-threshold', '1.5'],
      /predict: --score-threshold: scoreThreshold is 1\.5: expected a number in \[0, 1\]/,
    ],
    [
      ['--model', 'PACK', '--image', '../shared/images/chelsea.png', '--score-threshold', 'high'],
      /predict: --score-threshold high: expected a number/,
    ],
    [
      [
        '--model',
        'PACK',
        '--image',
        '../shared/images/chelsea.png',
        '--allow',
        '285',
        '--deny',
        'tabby',
      ],
      /predict: --allow: categoryAllowlist and categoryDenylist are both given: expected at most one/,
    ],
    [
      [
        '--model',
        'PACK',
        '--image',
        '../shared/images/chelsea.png',
        '--allow',
        'unicorn',
        '--allow',
        '1000',
      ],
      /predict: --allow: categoryAllowlist names unknown categories "unicorn", 1000: expected labels of the model's label set or class indices 0–999/,
    ],
  ])('refuses %j with a clear error', async (args, message) => {
    const { code, stderr } = await webnets(
      'predict',
      ...args.map((a) => (a === 'PACK' ? pack : a)),
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });
});
