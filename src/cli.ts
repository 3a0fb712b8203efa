/**
 * The `webnets` command line (Node only). Each command lives in src/cli/<name>.ts and
 * exports `run(argv)`; this file only dispatches, so `--help` lists them in one place.
 */
import { VERSION } from './version';

interface Command {
  summary: string;
  usage: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

const commands: Record<string, Command> = {
  convert: {
    summary: 'convert a PyTorch or safetensors checkpoint into a weight pack',
    usage: 'webnets convert <checkpoint> --arch <id> --out <dir> [--dtype float32|float16|int8]',
    load: () => import('./cli/convert'),
  },
  'fetch-weights': {
    summary: "download a model's published checkpoint, verify its hash, convert it",
    usage: 'webnets fetch-weights <id...> [--base-url URL] [--out DIR]',
    load: () => import('./cli/fetch-weights'),
  },
  export: {
    summary: "write a pack's network as an ONNX model (opset 13), for onnxruntime and others",
    usage: 'webnets export --onnx <pack dir|model.json> --out <file.onnx> [--json]',
    load: () => import('./cli/export'),
  },
  predict: {
    summary: 'classify an image (or a preprocessed tensor) with a pack, in Node',
    usage:
      'webnets predict --model <pack dir> (--image <png|jpg> | --input <file.f32>) [--backend cpu|wasm] [--top 5] [--logits] --json',
    load: () => import('./cli/predict'),
  },
  info: {
    summary: "a model's family, input size, parameters, MACs and activations",
    usage: 'webnets info <id> [--json]',
    load: () => import('./cli/info'),
  },
  list: {
    summary: 'every preset model with its complexity',
    usage: 'webnets list [--json]',
    load: () => import('./cli/list'),
  },
};

function help(): string {
  const lines = [
    `webnets ${VERSION} — image-classification ConvNets in the browser`,
    '',
    'Usage: webnets <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`),
    '',
    ...Object.values(commands).map((c) => `  ${c.usage}`),
    '',
    "Run `webnets <command> --help` for a command's options.",
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(VERSION);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(
      `webnets: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}.`,
    );
    return 2;
  }
  const { run } = await command.load();
  return run(rest);
}

const exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`webnets: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
process.exitCode = exitCode;
