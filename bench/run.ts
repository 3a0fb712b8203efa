/**
 * `npm run bench`: webnets against onnxruntime-web on the same networks, weights, input
 * and backend, in headless Chromium. Options: bench/args.ts (`npm run bench -- --help`);
 * what it measures and prints: bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../playwright.config';
import { pageConfig, parse, usage } from './args';
import { resolveCall, runPage, startServer } from './browser';
import { describeMachine, loadNow } from './machine';
import { ensurePack, jobPreprocessing, packDir, readOnnxMetas, type OnnxMeta } from './prepare';
import type { ModelJob } from './protocol';
import { renderReport } from './render';
import { summarize, type BenchReport, type PageRun, type Settings } from './report';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function job(meta: OnnxMeta, settings: Settings, packError: string | null): ModelJob {
  return {
    id: meta.id,
    onnxUrl: `/onnx/${meta.id}.onnx`,
    packUrl: packError === null ? `/packs/bench/${meta.id}/model.json` : '',
    preprocessing: jobPreprocessing(root, meta),
    runs: settings.runs,
    warmup: settings.warmup,
    profileRuns: settings.profileRuns,
    reference: meta.reference
      ? { inputUrl: meta.reference.input, logits: meta.reference.logits }
      : null,
  };
}

async function main(argv: string[]): Promise<number> {
  const settings = parse(argv);
  if (settings === null) {
    console.log(usage);
    return 0;
  }
  let metas: OnnxMeta[];
  try {
    metas = readOnnxMetas(root, settings.models);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    return 2;
  }
  if (settings.build) {
    console.log('bench: npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) return build.status ?? 1;
  }
  const packErrors = new Map<string, string>();
  for (const meta of metas) {
    const why = ensurePack(root, meta);
    if (why) {
      console.log(`bench: no webnets pack for ${meta.id} (${packDir(meta.id)}): ${why}`);
      packErrors.set(meta.id, why);
    }
  }
  const jobs = metas.map((m) => job(m, settings, packErrors.get(m.id) ?? null));

  const server = await startServer(root, settings.port);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
  });
  const base = `http://localhost:${settings.port}`;
  const date = new Date();
  const loadAtStart = loadNow();
  const pages: PageRun[] = [];
  try {
    const call = await resolveCall(browser, base, settings.webnetsCall);
    for (const label of settings.backends) {
      console.log(`bench: ${label}`);
      pages.push(
        await runPage(browser, base, pageConfig(label, call), jobs, packErrors, settings.timeout),
      );
    }
  } finally {
    await browser.close().catch(() => undefined);
    await server.close();
  }
  const report: BenchReport = {
    machine: describeMachine(root, browser.version(), date, loadAtStart),
    settings,
    pages,
    summary: summarize(pages, (id) => metas.find((m) => m.id === id)?.macs ?? null),
  };
  console.log(`\n${renderReport(report)}`);
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 1)}\n`;
  const stamp = date.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  console.log(`\nbench: wrote bench/results/${stamp}.json and bench/results/latest.json`);
  return report.summary.failures.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
