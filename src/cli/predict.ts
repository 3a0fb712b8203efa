/**
 * `webnets predict --model <pack dir> (--image <png|jpg> | --input <file.f32>)`:
 * classify one image with a pack, in Node, on the cpu or wasm backend.
 *
 * --image follows the pack's preprocessing (the runtime's, on the backend); --input
 * takes an already preprocessed little-endian float32 NCHW tensor 1×3×H×W (the format of
 * ../shared/reference/*.input.f32), which isolates the network from image decoding.
 * classify's options as flags: --region (regionOfInterest, --image only), --score-threshold,
 * --allow / --deny (categoryAllowlist / categoryDenylist, one category per flag), --top (topK).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { fileFetch, packUrl } from '../convert/file-fetch';
import { createNetwork } from '../models/network';
import { getSpec } from '../models/presets';
import { labelSet } from '../runtime/labels';
import type { ClassifyOptions } from '../runtime/classify-options';
import { checkClassifyOptions, selectClasses } from '../runtime/classify-options';
import { preprocess } from '../runtime/preprocess';
import { tf } from '../tf';
import { loadPack } from '../weights/load';
import type { PackManifest } from '../weights/pack';

const usage =
  'webnets predict --model <pack dir|model.json> (--image <png|jpg> | --input <file.f32>) [--backend cpu|wasm] [--top 5] [--score-threshold 0–1] [--allow <label|index>]... | [--deny <label|index>]... [--region left,top,right,bottom] [--logits] [--json]';

/** Each flag, for the classify option its value becomes. */
const flagOf: Record<string, string> = {
  regionOfInterest: '--region',
  scoreThreshold: '--score-threshold',
  categoryAllowlist: '--allow',
  categoryDenylist: '--deny',
  topK: '--top',
};

/** A category flag's value: a whole number is a class index, anything else a label. */
const category = (value: string): string | number => (/^\d+$/.test(value) ? Number(value) : value);

/** The flags as classify's options (ranges are checked by checkClassifyOptions). */
function classifyOptions(values: {
  top: string;
  'score-threshold'?: string;
  allow?: string[];
  deny?: string[];
  region?: string;
}): ClassifyOptions {
  const number = (flag: string, text: string): number => {
    const v = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(v)) throw new Error(`predict: ${flag} ${text}: expected a number`);
    return v;
  };
  const options: ClassifyOptions = { topK: number('--top', values.top) };
  if (values['score-threshold'] !== undefined) {
    options.scoreThreshold = number('--score-threshold', values['score-threshold']);
  }
  if (values.allow) options.categoryAllowlist = values.allow.map(category);
  if (values.deny) options.categoryDenylist = values.deny.map(category);
  if (values.region !== undefined) {
    const sides = values.region.split(',');
    if (sides.length !== 4) {
      throw new Error(
        `predict: --region ${values.region}: expected left,top,right,bottom (4 fractions of the image's width and height)`,
      );
    }
    const [left, top, right, bottom] = sides.map((v) => number('--region', v)) as [
      number,
      number,
      number,
      number,
    ];
    options.regionOfInterest = { left, top, right, bottom };
  }
  return options;
}

/** Decodes a PNG or JPEG into an HWC int32 RGB tensor. */
export async function decodeImage(path: string): Promise<tf.Tensor3D> {
  const bytes = await readFile(path).catch((err: Error) => {
    throw new Error(`${path}: cannot read the image (${err.message})`, { cause: err });
  });
  let width: number, height: number, rgba: Uint8Array;
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.png') ({ width, height, data: rgba } = PNG.sync.read(bytes));
    else if (ext === '.jpg' || ext === '.jpeg')
      ({ width, height, data: rgba } = jpeg.decode(bytes, { useTArray: true }));
    else throw new Error(`unsupported image type '${ext}': expected .png, .jpg or .jpeg`);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
  const rgb = new Int32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[i * 3] = rgba[i * 4]!;
    rgb[i * 3 + 1] = rgba[i * 4 + 1]!;
    rgb[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return tf.tensor3d(rgb, [height, width, 3], 'int32');
}

/** Reads a raw float32 NCHW 1×3×S×S file into an NHWC batch for a network of input size S. */
async function readInput(path: string, size: number): Promise<tf.Tensor4D> {
  const raw = await readFile(path).catch((err: Error) => {
    throw new Error(`${path}: cannot read the input tensor (${err.message})`, { cause: err });
  });
  const expected = 3 * size * size * 4;
  if (raw.length !== expected) {
    throw new Error(
      `${path}: ${raw.length} bytes, expected ${expected} (float32 NCHW 1×3×${size}×${size})`,
    );
  }
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [1, 3, size, size]), [0, 2, 3, 1]));
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      image: { type: 'string' },
      input: { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      top: { type: 'string', default: '5' },
      'score-threshold': { type: 'string' },
      allow: { type: 'string', multiple: true },
      deny: { type: 'string', multiple: true },
      region: { type: 'string' },
      logits: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `${usage}\n\n--input is a preprocessed float32 NCHW 1×3×H×W file (as ../shared/reference/*.input.f32).\n` +
        `--region: classify that part of the image (fractions 0–1); --allow, --deny: one category per flag, by label or class index.`,
    );
    return 0;
  }
  if (!values.model) throw new Error(`predict: --model <pack dir> is required.\nUsage: ${usage}`);
  if (!values.image === !values.input)
    throw new Error(`predict: give exactly one of --image and --input.\nUsage: ${usage}`);
  if (values.backend !== 'cpu' && values.backend !== 'wasm') {
    throw new Error(
      `predict: --backend ${values.backend}: expected cpu or wasm (Node has no WebGPU)`,
    );
  }
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1)
    throw new Error(`predict: --top ${values.top}: expected a positive whole number`);
  const options = classifyOptions(values);
  if (options.regionOfInterest && values.input) {
    throw new Error('predict: --region needs --image (an --input tensor is already preprocessed)');
  }

  const url = packUrl(values.model);
  const head = await fileFetch(url);
  if (!head.ok) throw new Error(`${values.model}: no pack there (model.json: HTTP ${head.status})`);
  const { modelId } = (await head.json()) as PackManifest;
  const spec = getSpec(modelId);
  tf.env().set('PROD', true); // no tfjs console banners in a CLI's output
  await tf.setBackend(values.backend);
  const { manifest, weights } = await loadPack(url, { spec, fetch: fileFetch });
  const labels = labelSet(manifest.labels);
  let selection: ReturnType<typeof checkClassifyOptions>;
  try {
    selection = checkClassifyOptions(options, labels);
  } catch (err) {
    const message = (err as Error).message.replace(/^classify: /, '');
    const option = Object.keys(flagOf).find((name) => message.startsWith(name));
    throw new Error(`predict: ${option ? `${flagOf[option]}: ` : ''}${message}`, { cause: err });
  }
  const network = createNetwork(spec, weights);
  try {
    const x = values.input
      ? await readInput(values.input, manifest.preprocessing.inputSize)
      : await decodeImage(values.image!).then((pixels) => {
          const batch = tf.tidy(() =>
            preprocess(pixels, manifest.preprocessing, undefined, selection.regionOfInterest),
          );
          pixels.dispose();
          return batch;
        });
    const { logits, features } = network.forward(x);
    const values32 = (await logits.data()) as Float32Array;
    tf.dispose([x, logits, features]);
    const best = selectClasses(values32, labels, selection);
    const result = {
      model: manifest.modelId,
      backend: tf.getBackend(),
      synthetic: false,
      top: best,
      ...(values.logits ? { logits: Array.from(values32) } : {}),
    };
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(`${result.model} on ${result.backend}:`);
      for (const c of best)
        console.log(`  ${(c.probability * 100).toFixed(2).padStart(6)} %  ${c.index}  ${c.label}`);
    }
    return 0;
  } finally {
    network.dispose();
  }
}
