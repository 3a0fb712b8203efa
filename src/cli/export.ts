/** `webnets export --onnx <pack dir|model.json> --out <file.onnx> [--json]` */
import { parseArgs } from 'node:util';
import { exportPackToOnnx } from '../export/pack';

const usage = 'webnets export --onnx <pack dir|model.json> --out <file.onnx> [--json]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      onnx: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `${usage}\n\nWrites a pack's network as an ONNX model (opset 13, batch 1): input 'input' [1, 3, S, S],\n` +
        "NCHW float32 normalized as the pack's preprocessing says (also in the file's metadata_props),\n" +
        "output 'logits' [1, classes]. Batch norm stays folded into the convs, as in the pack.",
    );
    return 0;
  }
  if (positionals.length > 0) {
    throw new Error(`export: unexpected argument '${positionals[0]}'.\nUsage: ${usage}`);
  }
  if (!values.onnx)
    throw new Error(`export: --onnx <pack dir|model.json> is required.\nUsage: ${usage}`);
  if (!values.out) throw new Error(`export: --out <file.onnx> is required.\nUsage: ${usage}`);
  const { pack, out, bytes, summary } = await exportPackToOnnx(values.onnx, values.out);
  const nodes = Object.values(summary.ops).reduce((a, b) => a + b, 0);
  if (values.json) {
    console.log(
      JSON.stringify({
        model: pack.spec.id,
        out,
        bytes,
        opset: summary.opset,
        nodes,
        ops: summary.ops,
      }),
    );
  } else {
    console.log(
      `${pack.spec.id}: ${pack.path} → ${out}, ONNX opset ${summary.opset}, ${nodes} nodes, ${(bytes / 1e6).toFixed(2)} MB`,
    );
  }
  return 0;
}
