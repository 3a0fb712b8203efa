/** `webnets convert <checkpoint> --arch <id> --out <dir> [--dtype float32|float16|int8]` */
import { parseArgs } from 'node:util';
import { convertCheckpoint, PACK_DTYPES } from '../convert/convert';
import type { PackDtype } from '../weights/pack';

const usage =
  'webnets convert <checkpoint> --arch <id> --out <dir> [--dtype float32|float16|int8] [--json]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      arch: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string', default: 'float32' },
      labels: { type: 'string', default: 'imagenet-1k' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `${usage}\n\nReads a PyTorch checkpoint (zip or legacy .pth/.pth.tar) or .safetensors file — no Python —\nand writes <dir>/model.json plus weight shards. --dtype int8 quantizes weights per output channel.`,
    );
    return 0;
  }
  const [checkpoint, ...extra] = positionals;
  if (!checkpoint || extra.length > 0)
    throw new Error(`convert takes one checkpoint file.\nUsage: ${usage}`);
  if (!values.arch)
    throw new Error(
      `convert: --arch <model id> is required (see \`webnets list\`).\nUsage: ${usage}`,
    );
  if (!values.out) throw new Error(`convert: --out <dir> is required.\nUsage: ${usage}`);
  if (!PACK_DTYPES.includes(values.dtype as PackDtype)) {
    throw new Error(`convert: --dtype ${values.dtype} is not one of ${PACK_DTYPES.join(', ')}`);
  }
  const result = await convertCheckpoint(checkpoint, {
    arch: values.arch,
    outDir: values.out,
    dtype: values.dtype as PackDtype,
    labels: values.labels,
  });
  const { manifest } = result;
  if (values.json) {
    console.log(
      JSON.stringify({
        model: manifest.modelId,
        out: result.outDir,
        dtype: manifest.dtype,
        bytes: result.bytes,
        shards: Object.keys(manifest.shards).length,
        source: manifest.source,
        seconds: result.seconds,
      }),
    );
  } else {
    console.log(
      `${manifest.modelId}: ${manifest.source.file} (${manifest.source.naming} names, ${manifest.source.format}) → ` +
        `${result.outDir}/model.json, ${Object.keys(manifest.shards).length} shard(s), ${(result.bytes / 1e6).toFixed(2)} MB ${manifest.dtype}, ${result.seconds.toFixed(2)} s`,
    );
  }
  return 0;
}
