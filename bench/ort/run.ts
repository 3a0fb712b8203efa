/**
 * `npm run bench`: webnets against onnxruntime-web on the same networks, weights, input
 * and backend, in headless Chromium, Firefox or WebKit (`--browser`). Options: bench/ort/args.ts
 * (`npm run bench -- --help`); what it measures and prints: bench/README.md. Needs Node and the
 * browser only: the packs and
 * ONNX files are made first (bench/ort/prepare.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { complexity } from '../../src/models/complexity';
import { getSpec } from '../../src/models/presets';
import { withBrowser } from '../lib/browser';
import { runMain } from '../lib/options';
import { root } from '../lib/paths';
import { pageConfig, parse, usage, type Options } from './args';
import { resolveCall, runPage } from './browser';
import { describeMachine, loadNow } from './machine';
import { jobPreprocessing, onnxPath, packDir, prepareModels, type BenchModel } from './prepare';
import type { ModelJob } from './protocol';
import { renderReport } from './render';
import { summarize, type BenchReport, type PageRun, type Settings } from './report';

function job(model: BenchModel, settings: Settings): ModelJob {
  return {
    id: model.id,
    onnxUrl: `/${onnxPath(model.id).replace(/^models\//, '')}`,
    packUrl: `/${packDir(model.id).replace(/^models\//, '')}/model.json`,
    preprocessing: jobPreprocessing(model.manifest),
    runs: settings.runs,
    warmup: settings.warmup,
    profileRuns: settings.profileRuns,
    reference: model.reference,
  };
}

/** `--backends webgpu-dawn`: bench/dawn/ in Node, with relaxed SIMD on as Chromium has it. */
function runDawn(settings: Options): number {
  const args = ['--models', settings.models.join(','), '--runs', String(settings.runs)];
  args.push('--warmup', String(settings.warmup));
  const node = ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'bench/dawn/main.ts'];
  const run = spawnSync(process.execPath, [...node, ...args], { cwd: root, stdio: 'inherit' });
  return run.status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  const started = performance.now();
  const settings = parse(argv);
  if (settings === null) {
    console.log(usage);
    return 0;
  }
  if (settings.dawn) {
    const dawn = runDawn(settings);
    if (dawn !== 0 || settings.backends.length === 0) return dawn;
  }
  if (settings.build) {
    console.log('bench: npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) return build.status ?? 1;
  }
  const models = await prepareModels(settings.models);
  const jobs = models.map((m) => job(m, settings));
  const date = new Date();
  const loadAtStart = loadNow();
  const { pages, version } = await withBrowser(
    settings.browser,
    settings.port,
    async (browser, base) => {
      const runs: PageRun[] = [];
      const call = await resolveCall(browser, base, settings.webnetsCall);
      for (const label of settings.backends) {
        console.log(`bench: ${label}`);
        runs.push(await runPage(browser, base, pageConfig(label, call), jobs, settings.timeout));
      }
      return { pages: runs, version: browser.version };
    },
  );
  const macsOf = (id: string): number => complexity(getSpec(id)).macs;
  const report: BenchReport = {
    machine: describeMachine(root, version, date, loadAtStart),
    settings,
    models: models.map((m) => ({ id: m.id, weights: m.weights, onnxBytes: m.onnxBytes })),
    pages,
    summary: summarize(pages, macsOf),
  };
  console.log(`\n${renderReport(report)}`);
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 1)}\n`;
  const stamp = date.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  const minutes = (performance.now() - started) / 60_000;
  console.log(
    `\nbench: wrote bench/results/${stamp}.json and bench/results/latest.json (${minutes.toFixed(1)} min in all)`,
  );
  return report.summary.failures.length > 0 ? 1 : 0;
}

await runMain('bench', () => main(process.argv.slice(2)));
