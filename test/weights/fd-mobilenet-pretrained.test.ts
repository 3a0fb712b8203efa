/**
 * Proof with real weights: the FD-MobileNet authors' ImageNet checkpoints, converted by
 * webnets (no Python) and run by webnets, reproduce the authors' PyTorch outputs in
 * ../shared/reference/ — logits within 1e-3·max(1, max|logit|), same top-5 in the same
 * order — on the cpu and wasm backends. float16 and int8 packs are compared with float32;
 * their agreement is written to test-results/quantization-report.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert';
import { fileFetch, packUrl } from '../../src/convert/file-fetch';
import { createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import { tf } from '../../src/tf';
import { loadPack } from '../../src/weights/load';
import type { PackDtype } from '../../src/weights/pack';
import { TEST_BACKENDS, useBackend } from '../helpers/backends';

const shared = '../shared';
const images = ['chelsea', 'coffee', 'camera', 'motorcycle_left'];
const alphas = ['0.25', '0.5'] as const;
const dtypes: PackDtype[] = ['float32', 'float16', 'int8'];

interface Reference {
  models: Record<string, Record<string, { top5: [number, number][]; logits: number[] }>>;
}

function requireShared(path: string): string {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: these tests read the FD-MobileNet checkpoints and references from ../shared (see ../shared/README.md)`,
    );
  }
  return path;
}

const reference = JSON.parse(
  readFileSync(requireShared(`${shared}/reference/fd-mobilenet.json`), 'utf8'),
) as Reference;

/** The preprocessed NCHW float32 input as NHWC. */
function input(image: string): tf.Tensor4D {
  const raw = readFileSync(requireShared(`${shared}/reference/${image}.input.f32`));
  const nchw = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  return tf.tidy(() => tf.transpose(tf.tensor4d(nchw, [1, 3, 224, 224]), [0, 2, 3, 1]));
}

function topK(logits: Float32Array, k: number): number[] {
  return Array.from(logits.keys())
    .sort((a, b) => logits[b]! - logits[a]!)
    .slice(0, k);
}

let dir: string;
const packBytes: Record<string, number> = {};
const logitsBy: Record<string, Float32Array> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webnets-fd-'));
  for (const alpha of alphas) {
    for (const dtype of dtypes) {
      const { bytes } = await convertCheckpoint(
        requireShared(`${shared}/weights/fd-mobilenet/${alpha}x-FDMobileNet-224.pth.tar`),
        { arch: `fd-mobilenet-${alpha}x`, outDir: join(dir, `${alpha}-${dtype}`), dtype },
      );
      packBytes[`${alpha}-${dtype}`] = bytes;
    }
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  const report: Record<string, unknown> = { packBytes };
  for (const alpha of alphas) {
    for (const dtype of dtypes.slice(1)) {
      const rows = images.map((image) => {
        const f32 = logitsBy[`cpu/${alpha}/float32/${image}`];
        const q = logitsBy[`cpu/${alpha}/${dtype}/${image}`];
        if (!f32 || !q) return { image, missing: true };
        const diff = Math.max(...Array.from(f32, (v, i) => Math.abs(v - q[i]!)));
        return { image, top1Agrees: topK(f32, 1)[0] === topK(q, 1)[0], maxLogitDiff: diff };
      });
      report[`fd-mobilenet-${alpha}x ${dtype} vs float32`] = {
        sizeRatio: packBytes[`${alpha}-${dtype}`]! / packBytes[`${alpha}-float32`]!,
        images: rows,
      };
    }
  }
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/quantization-report.json', JSON.stringify(report, null, 2));
});

describe.each(TEST_BACKENDS)('FD-MobileNet authors’ checkpoints on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(alphas)('%sx', (alpha) => {
    const id = `fd-mobilenet-${alpha}x`;

    it.each(dtypes)('%s pack runs the reference inputs', async (dtype) => {
      const before = tf.memory().numTensors;
      const { weights } = await loadPack(packUrl(join(dir, `${alpha}-${dtype}`)), {
        spec: getSpec(id),
        fetch: fileFetch,
      });
      const network = createNetwork(getSpec(id), weights);
      for (const image of images) {
        const x = input(image);
        const { logits, features } = network.forward(x);
        const got = (await logits.data()) as Float32Array;
        logitsBy[`${backend}/${alpha}/${dtype}/${image}`] = got;
        expect(features.shape).toEqual([1, getSpec(id).features]);
        tf.dispose([x, logits, features]);
        const want = reference.models[id]![image]!;
        if (dtype === 'float32') {
          const scale = Math.max(1, ...want.logits.map(Math.abs));
          const diff = Math.max(...want.logits.map((v, i) => Math.abs(v - got[i]!)));
          expect(diff, `${image}: max |Δlogit| vs PyTorch`).toBeLessThanOrEqual(1e-3 * scale);
          expect(topK(got, 5), `${image}: top-5`).toEqual(want.top5.map(([index]) => index));
        } else if (dtype === 'int8') {
          expect(topK(got, 1)[0], `${image}: int8 keeps top-1`).toBe(want.top5[0]![0]);
        }
      }
      network.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('pack sizes', () => {
  it.each(alphas)(
    'the %sx int8 pack is at most 27% of float32 (all files), float16 about half',
    (alpha) => {
      expect(packBytes[`${alpha}-int8`]! / packBytes[`${alpha}-float32`]!).toBeLessThanOrEqual(
        0.27,
      );
      expect(packBytes[`${alpha}-float16`]! / packBytes[`${alpha}-float32`]!).toBeCloseTo(0.5, 2);
    },
  );
});
