/** `webnets fetch-weights <id...> [--base-url URL] [--out DIR]`: download, verify, convert. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { convertCheckpoint, PACK_DTYPES } from '../convert/convert';
import { fetchCheckpoint } from '../convert/fetch-weights';
import type { PackDtype } from '../weights/pack';

const usage =
  'webnets fetch-weights <id...> [--base-url URL] [--out DIR] [--checkpoints DIR] [--dtype float32|float16|int8]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'base-url': { type: 'string' },
      out: { type: 'string', default: 'models/packs' },
      checkpoints: { type: 'string', default: 'models/checkpoints' },
      dtype: { type: 'string', default: 'float32' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `${usage}\n\nDownloads each model's published checkpoint (torchvision's files for EfficientNet and RegNet,\n` +
        "the authors' for FD-MobileNet), checks the published hash, and converts it into <out>/<id>/.\n" +
        '--base-url fetches from a mirror laid out like models/checkpoints/ (torchvision/…, fd-mobilenet/…).',
    );
    return 0;
  }
  if (positionals.length === 0)
    throw new Error(`fetch-weights needs at least one model id.\nUsage: ${usage}`);
  if (!PACK_DTYPES.includes(values.dtype as PackDtype)) {
    throw new Error(
      `fetch-weights: --dtype ${values.dtype} is not one of ${PACK_DTYPES.join(', ')}`,
    );
  }
  const results = [];
  for (const id of positionals) {
    let lastShown = 0;
    const fetched = await fetchCheckpoint(id, {
      dir: values.checkpoints,
      ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}),
      onProgress: (loaded, total) => {
        if (values.json || loaded - lastShown < 8e6) return;
        lastShown = loaded;
        process.stderr.write(
          `\r${id}: ${(loaded / 1e6).toFixed(0)}${total ? ` / ${(total / 1e6).toFixed(0)}` : ''} MB`,
        );
      },
    });
    if (lastShown) process.stderr.write('\n');
    const outDir = join(values.out, id);
    const converted = await convertCheckpoint(fetched.path, {
      arch: id,
      outDir,
      dtype: values.dtype as PackDtype,
    });
    results.push({
      id,
      checkpoint: fetched.path,
      sha256: fetched.sha256,
      downloaded: fetched.downloaded,
      verified: fetched.verified,
      pack: outDir,
    });
    if (!values.json) {
      console.log(
        `${id}: ${fetched.downloaded ? 'downloaded' : 'already had'} ${fetched.path} (sha256 ${fetched.sha256.slice(0, 12)}…, ${fetched.verified ? 'verified' : 'NOT verified: its publisher gives no hash'}) → ${outDir}/model.json (${(converted.bytes / 1e6).toFixed(2)} MB)`,
      );
    }
  }
  if (values.json) console.log(JSON.stringify(results));
  return 0;
}
