/** `webnets info <id> [--json]`: a model's family, input size and complexity, from its spec. */
import { parseArgs } from 'node:util';
import { getSpec } from '../models/presets';
import { formatTable, modelRow } from './model-table';

const usage = 'webnets info <id> [--json]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `${usage}\n\nPrints a preset's (or a generated id's) family, input size, parameters (as PyTorch counts\nthem), multiply-accumulates and activations (the RegNet paper's measure), from the spec alone.`,
    );
    return 0;
  }
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new Error(`info takes one model id.\nUsage: ${usage}`);
  const spec = getSpec(id);
  const row = modelRow(spec);
  if (values.json) {
    console.log(JSON.stringify(row));
  } else {
    const p = spec.preprocessing;
    console.log(formatTable([row]));
    console.log(
      `\npreprocessing: resize ${p.resizeSize} (${p.interpolation}), center crop ${p.inputSize}, ` +
        `mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`,
    );
    console.log(`config: ${JSON.stringify(spec.config)}`);
  }
  return 0;
}
