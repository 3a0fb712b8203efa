/** The printed report: header with the machine, the tables, the profile, issue 7's targets. */
import type { BenchReport, Row, Scaling } from './report';
import { AGREEMENT_TOLERANCE } from './report';
import { fixed, formatTable, mib, ms, sci } from '../lib/table';

const pair = (a: string, b: string): string => `${a} / ${b}`;
/** GFLOP/s: one decimal, two significant digits below 1 (SwiftShader's 0.042). */
const rate = (g: number | null): string => (g !== null && g < 1 ? g.toPrecision(2) : fixed(g, 1));

const callText = {
  predict:
    'load() + model.predict(HWC 0–255 tensor) from dist/webnets.js (preprocessing and readback included)',
  forward:
    'network.forward(normalized NHWC) + readback, from the sources (no preprocessing: the same work as ORT)',
};

function header(report: BenchReport): string[] {
  const { machine: m, settings: s } = report;
  const used = [...new Set(report.pages.flatMap((p) => (p.facts ? [p.facts.webnetsCall] : [])))];
  return [
    `webnets ${m.webnets} against onnxruntime-web ${m.onnxruntimeWeb} — ${m.date}`,
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; ${m.browser} (headless); Node ${m.node}; commit ${m.commit}`,
    `method: per model and backend both sides in one page, same weights and input; ${s.warmup} warm-ups, then ${s.runs} timed runs per side alternating A/B, B/A, each after 20 ms idle (100 ms on pages of more than one thread: neither side's spinning workers may run into the other's run);`,
    `        medians. Load average ${m.load.start} at start, ${m.load.end} at end on ${m.cores} cores: other work shares the machine,`,
    '        so single timings are noisy; the alternated ratios are the robust numbers.',
    ...used.map((call) => `webnets side: ${callText[call]}`),
    'ORT side: InferenceSession.run on the prepared NCHW tensor + getData (its own WASM / WebGPU EP, graph optimization "all")',
    "weights: each network's webnets pack, and an ONNX file written from that pack by `webnets export --onnx` (opset 13):",
    ...report.models.map((m) => `        ${m.id}: ${m.weights}`),
  ];
}

/** '0.61 (0.55–0.68)': a ratio round by round, median and interquartile range. */
function quartiles(p: { q25: number; median: number; q75: number } | null, unit = ''): string {
  return p ? `${fixed(p.median, 2, unit)} (${fixed(p.q25, 2)}–${fixed(p.q75, 2)})` : 'n/a';
}

/** webnets/ORT round by round. */
function roundRatios(r: Row): string {
  return quartiles(r.pairedRatio);
}

/** t(1 thread) / t(N threads) round by round, in the N-thread page. */
function samePageCell(p: Scaling['webnetsSamePage']): string {
  return quartiles(p, '×');
}

function latencyTable(rows: Row[]): string {
  return formatTable(
    [
      'model',
      'backend',
      'webnets ms med / p95',
      'ORT ms med / p95',
      'webnets/ORT',
      'per round med (IQR)',
      'GFLOP/s webnets / ORT',
    ],
    rows.map((r) => [
      r.model,
      r.backend,
      r.webnets ? pair(ms(r.webnets.medianMs), ms(r.webnets.p95Ms)) : 'n/a',
      r.ort ? pair(ms(r.ort.medianMs), ms(r.ort.p95Ms)) : 'n/a',
      fixed(r.ratio, 2),
      roundRatios(r),
      pair(rate(r.webnets?.gflops ?? null), rate(r.ort?.gflops ?? null)),
    ]),
  );
}

function detailTable(rows: Row[]): string {
  return formatTable(
    [
      'model',
      'backend',
      'first prediction ms webnets / ORT',
      'tensor MiB peak / resident',
      'growth B / tensors',
      'max|Δ|/max|logit|',
      'top-1 same',
      'ORT vs PyTorch',
    ],
    rows.map((r) => [
      r.model,
      r.backend,
      pair(ms(r.webnets?.firstPredictionMs ?? NaN), ms(r.ort?.firstPredictionMs ?? NaN)),
      pair(mib(r.peakBytes), mib(r.residentBytes)),
      r.growthBytes === null ? 'n/a' : pair(String(r.growthBytes), String(r.growthTensors)),
      sci(r.relativeError),
      r.top1Agrees === null ? 'n/a' : r.top1Agrees ? 'yes' : 'NO',
      sci(r.ortVsPytorch),
    ]),
  );
}

function scalingTable(scaling: Scaling[]): string {
  const n = scaling[0]?.threads ?? 0;
  const auto = scaling.some((s) => s.webnetsAuto !== null);
  const same = scaling.some((s) => s.webnetsSamePage !== null);
  const count = (threads: number | null): string => (threads === null ? 'n/a' : String(threads));
  return formatTable(
    [
      'model',
      `webnets t(1)/t(${n}) pages`,
      ...(same ? [`same page, per round (IQR)`] : []),
      `ORT t(1)/t(${n})`,
      `webnets threads used of ${n}`,
      ...(auto
        ? ["webnets t(1)/t('auto')", 'same page, per round (IQR)', "threads 'auto' used"]
        : []),
    ],
    scaling.map((s) => [
      s.model,
      fixed(s.webnets, 2, '×'),
      ...(same ? [samePageCell(s.webnetsSamePage)] : []),
      fixed(s.ort, 2, '×'),
      count(s.webnetsThreadsUsed),
      ...(auto
        ? [
            fixed(s.webnetsAuto, 2, '×'),
            samePageCell(s.webnetsAutoSamePage),
            count(s.webnetsAutoThreads),
          ]
        : []),
    ]),
  );
}

/** Per op type for each model on the fewest-thread WASM page: what to optimize next. */
function profiles(rows: Row[], limit = 8): string[] {
  const wasmRows = rows.filter((r) => r.profile && r.backend.startsWith('wasm'));
  const first = wasmRows[0]?.backend;
  return wasmRows
    .filter((r) => r.backend === first)
    .flatMap((r) => {
      const p = r.profile as NonNullable<Row['profile']>;
      const shown = p.ops.slice(0, limit);
      const rest = p.ops.slice(limit).reduce((sum, op) => sum + op.ms, 0);
      const table = formatTable(
        ['op', 'calls', 'ms', '% of kernels'],
        [
          ...shown.map((op) => [
            op.op,
            String(op.calls),
            ms(op.ms),
            fixed((100 * op.ms) / p.kernelMs, 1),
          ]),
          ...(rest > 0 ? [['(other ops)', '', ms(rest), fixed((100 * rest) / p.kernelMs, 1)]] : []),
        ],
      );
      return [
        `${r.model} on ${r.backend}: profiled predict ${ms(p.wallMs)} ms, kernels ${ms(p.kernelMs)} ms, outside kernels ${ms(p.wallMs - p.kernelMs)} ms`,
        table,
        '',
      ];
    });
}

function targets(report: BenchReport): string[] {
  const { rows, scaling } = report.summary;
  const lines: string[] = [];
  const verdict = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED');
  for (const r of rows.filter((row) => row.backend === 'wasm1')) {
    const ok = r.ratio === null ? null : r.ratio <= 0.6;
    lines.push(
      `  wasm1 webnets/ORT ≤ 0.6 (aim 0.5), ${r.model}: ${fixed(r.ratio, 2)} ${verdict(ok)}` +
        ` (per round ${roundRatios(r)})`,
    );
  }
  // B0 with all threads ≥ 1.3× one thread; every model under 'auto' (when measured,
  // else with all threads) never slower than one thread.
  // Judged on the same-page rounds when measured (the two pages' medians drift apart
  // with the machine's speed between their minutes); both are printed.
  for (const s of scaling.filter((row) => row.model === 'efficientnet-b0')) {
    const judged = s.webnetsSamePage?.median ?? s.webnets;
    const ok = judged === null ? null : judged >= 1.3;
    const samePage = s.webnetsSamePage
      ? `same page, per round ${samePageCell(s.webnetsSamePage)}; pages' medians ${fixed(s.webnets, 2, '×')}`
      : fixed(s.webnets, 2, '×');
    lines.push(
      `  webnets ${s.threads} threads ≥ 1.3× 1 thread, ${s.model}: ${samePage} ${verdict(ok)}`,
    );
  }
  // 'auto' (or all threads) against 1 thread: from the same page's rounds when measured.
  // Slower means slower in most rounds (the IQR below 1): where 'auto' picks one thread,
  // both sides run the very same kernels and their ratio is 1 ± the machine's noise.
  for (const s of scaling) {
    const [what, cross, same] =
      s.webnetsAuto !== null
        ? ["threads 'auto'", s.webnetsAuto, s.webnetsAutoSamePage]
        : [`${s.threads} threads`, s.webnets, s.webnetsSamePage];
    const ok = same ? same.q75 >= 1 : cross === null ? null : cross >= 1;
    const measured = same
      ? `same page, per round ${samePageCell(same)}; pages' medians ${fixed(cross, 2, '×')}`
      : fixed(cross, 2, '×');
    lines.push(
      `  webnets ${what} not slower than 1 thread, ${s.model}: ${measured} ${verdict(ok)}`,
    );
  }
  const grew = rows.filter((r) => (r.growthBytes ?? 0) !== 0 || (r.growthTensors ?? 0) !== 0);
  const measured = rows.some((r) => r.growthBytes !== null);
  lines.push(
    `  no tensor memory growth across runs: ${measured ? (grew.length === 0 ? 'met' : `MISSED (${grew.map((r) => `${r.model}/${r.backend}`).join(', ')})`) : 'n/a'}`,
  );
  return lines;
}

export function renderReport(report: BenchReport): string {
  const { rows, scaling, failures } = report.summary;
  const gpu = report.pages.find((p) => p.facts?.gpu)?.facts?.gpu ?? null;
  const software =
    gpu !== null && (gpu.fallback || /swiftshader/i.test(`${gpu.architecture} ${gpu.description}`));
  const out = [
    ...header(report),
    '',
    'Latency (lower is better; webnets/ORT < 1: webnets faster). GFLOP/s = 2·MACs / median latency.',
    latencyTable(rows),
    '',
    `First prediction: load + first inference (no cache). Tensor memory: tf.memory() (webnets; ORT has no equivalent).`,
    `Agreement: both sides on the same input, max |Δ| / max |logit| (tolerance ${AGREEMENT_TOLERANCE}).`,
    detailTable(rows),
    '',
  ];
  if (gpu) {
    out.push(
      `WebGPU adapter: ${gpu.vendor} ${gpu.architecture} ${gpu.description}`.trimEnd() +
        (software
          ? ' — a software rasterizer on the CPU: the WebGPU rows show correctness, not speed.'
          : ''),
      '',
    );
  }
  if (scaling.length > 0)
    out.push(
      'Thread scaling (median at 1 thread / median at all threads):',
      scalingTable(scaling),
      '',
    );
  out.push(...profiles(rows), 'Targets (issue 7; measured, not asserted):', ...targets(report));
  if (failures.length > 0) out.push('', 'FAILURES:', ...failures.map((f) => `  ${f}`));
  return out.join('\n');
}
