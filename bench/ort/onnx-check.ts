/**
 * `npm run bench:onnx-check`: webnets' ONNX writer against PyTorch's exporter, on the files
 * tools/reference/export_onnx.py leaves in models/onnx/pytorch/ (optional: it needs PyTorch;
 * `npm run bench` does not). For each network there, the very state dict PyTorch exported
 * goes through webnets' converter and ONNX writer; both files then run in onnxruntime-web's
 * WASM build in this Node process on ../shared's reference photo: their logits against each
 * other and against PyTorch's own, their nodes per operator type, and ORT's time on each,
 * alternated round by round (A/B, B/A, …) so the machine's drift hits both alike.
 *
 *   npm run bench:onnx-check -- [--models a,b] [--rounds 20] [--threads 1]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { readCheckpoint } from '../../src/convert/checkpoint';
import { toWebnetsWeights } from '../../src/convert/map';
import { onnxModel, summarizeOnnx } from '../../src/export/onnx';
import { median } from '../../src/numeric';
import { getSpec } from '../../src/models/presets';
import { list, OptionError, runMain, wholeNumber } from '../lib/options';
import { root } from '../lib/paths';
import { pairedRatios } from '../lib/stats';
import { formatTable, fixed, ms, sci } from '../lib/table';
import { agreement, relativeError } from './compare';
import { DEFAULT_MODELS } from './args';

const DIR = 'models/onnx/pytorch';
const SHARED = process.env.WEBNETS_SHARED ?? join(root, '../shared');

/** tools/reference/export_onnx.py's <id>.json (the fields read here). */
interface PytorchMeta {
  id: string;
  stateDict: string;
  inputSize: number;
  exporter: string;
  reference: { input: string; logits: number[] } | null;
}

function readMeta(id: string): PytorchMeta {
  const files = [`${DIR}/${id}.json`, `${DIR}/${id}.onnx`];
  const missing = files.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} missing: make PyTorch's exports first (Debian's python3 with torch 1.13 + torchvision 0.14):\n\n  /usr/bin/python3 tools/reference/export_onnx.py ${id}`,
    );
  }
  return JSON.parse(readFileSync(join(root, DIR, `${id}.json`), 'utf8')) as PytorchMeta;
}

/** The reference photo as the exports take it (NCHW, normalized), or a seeded input. */
function inputFor(meta: PytorchMeta): Float32Array {
  if (meta.reference) {
    const path = join(SHARED, meta.reference.input.replace(/^\/shared\//, ''));
    return new Float32Array(new Uint8Array(readFileSync(path)).buffer);
  }
  const n = 3 * meta.inputSize * meta.inputSize;
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
}

async function logitsOf(s: ort.InferenceSession, x: Float32Array, size: number) {
  const out = await s.run({ input: new ort.Tensor('float32', x, [1, 3, size, size]) });
  return out.logits!.data as Float32Array;
}

interface Check {
  id: string;
  exporter: string;
  ops: Record<string, [number, number]>;
  webnetsVsPytorchOnnx: number;
  pytorchOnnxVsPytorch: number | null;
  webnetsOnnxVsPytorch: number | null;
  ms: { pytorch: number[]; webnets: number[] };
}

async function check(id: string, rounds: number, log: (line: string) => void): Promise<Check> {
  const meta = readMeta(id);
  const spec = getSpec(id);
  const stateDictPath = join(root, meta.stateDict);
  const state = readCheckpoint(new Uint8Array(readFileSync(stateDictPath)), stateDictPath);
  const ours = onnxModel(spec, toWebnetsWeights(spec, state));
  const theirs = new Uint8Array(readFileSync(join(root, DIR, `${id}.onnx`)));
  const [a, b] = [summarizeOnnx(theirs).ops, summarizeOnnx(ours).ops];
  const ops = Object.fromEntries(
    [...new Set([...Object.keys(a), ...Object.keys(b)])].map((op) => [
      op,
      [a[op] ?? 0, b[op] ?? 0],
    ]),
  ) as Check['ops'];

  const size = meta.inputSize;
  const x = inputFor(meta);
  const [pt, wn] = [await session(theirs), await session(ours)];
  try {
    const [pl, wl] = [await logitsOf(pt, x, size), await logitsOf(wn, x, size)];
    const ref = meta.reference?.logits;
    const vs = (l: Float32Array) => (ref ? relativeError(agreement(l, ref)) : null);
    log(`${id}: ${rounds} alternated rounds`);
    for (let i = 0; i < 3; i++) for (const s of [pt, wn]) await logitsOf(s, x, size);
    const times = { pytorch: [] as number[], webnets: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const order: ['pytorch' | 'webnets', ort.InferenceSession][] = [
        ['pytorch', pt],
        ['webnets', wn],
      ];
      if (r % 2) order.reverse();
      for (const [side, s] of order) {
        const t0 = performance.now();
        await logitsOf(s, x, size);
        times[side].push(performance.now() - t0);
      }
    }
    return {
      id,
      exporter: meta.exporter,
      ops,
      webnetsVsPytorchOnnx: relativeError(agreement(wl, pl)),
      pytorchOnnxVsPytorch: vs(pl),
      webnetsOnnxVsPytorch: vs(wl),
      ms: times,
    };
  } finally {
    await Promise.all([pt.release(), wn.release()]);
  }
}

function render(c: Check): string {
  const t = { pytorch: median(c.ms.pytorch), webnets: median(c.ms.webnets) };
  const rounds = pairedRatios(c.ms.webnets, c.ms.pytorch);
  const nodes = (i: 0 | 1) => Object.values(c.ops).reduce((s, v) => s + v[i], 0);
  return [
    `${c.id} (PyTorch's file: ${c.exporter})`,
    formatTable(
      ['op', 'nodes PyTorch', 'nodes webnets'],
      [
        ...Object.entries(c.ops).map(([op, [p, w]]) => [op, String(p), String(w)]),
        ['all', String(nodes(0)), String(nodes(1))],
      ],
    ),
    `logits, max|Δ|/max|logit|: webnets' file vs PyTorch's file ${sci(c.webnetsVsPytorchOnnx)}; ` +
      `vs PyTorch itself: PyTorch's file ${sci(c.pytorchOnnxVsPytorch)}, webnets' file ${sci(c.webnetsOnnxVsPytorch)}`,
    `ORT ms median: PyTorch's file ${ms(t.pytorch)}, webnets' file ${ms(t.webnets)}; ` +
      `webnets/PyTorch per round ${fixed(rounds?.median ?? null, 3)} (IQR ${fixed(rounds?.q25 ?? null, 3)}–${fixed(rounds?.q75 ?? null, 3)})`,
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      rounds: { type: 'string', default: '20' },
      threads: { type: 'string', default: '1' },
    },
  });
  const found = DEFAULT_MODELS.filter((id) => existsSync(join(root, DIR, `${id}.json`)));
  const ids = list(values.models, found);
  if (ids.length === 0) {
    throw new OptionError(
      `no PyTorch exports in ${DIR}/: make them with /usr/bin/python3 tools/reference/export_onnx.py (torch 1.13 + torchvision 0.14)`,
    );
  }
  const rounds = wholeNumber('rounds', values.rounds, 2);
  ort.env.wasm.numThreads = wholeNumber('threads', values.threads, 1);
  const started = new Date();
  console.log(
    `webnets' ONNX writer against PyTorch's exporter: onnxruntime-web ${ort.env.versions.web} (WASM, ${ort.env.wasm.numThreads} thread), Node ${process.version}, ${started.toISOString()}\n`,
  );
  const checks: Check[] = [];
  for (const id of ids) {
    const c = await check(id, rounds, (line) => console.log(line));
    checks.push(c);
    console.log(render(c));
  }
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    join(root, 'bench/results/onnx-check.json'),
    `${JSON.stringify({ date: started.toISOString(), rounds, checks }, null, 1)}\n`,
  );
  console.log('bench:onnx-check: wrote bench/results/onnx-check.json');
  const bad = checks.filter((c) => !(c.webnetsVsPytorchOnnx <= 1e-4));
  for (const c of bad)
    console.error(`${c.id}: the two files' logits differ by ${c.webnetsVsPytorchOnnx}`);
  return bad.length > 0 ? 1 : 0;
}

await runMain('bench:onnx-check', main);
