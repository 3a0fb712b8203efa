/**
 * The latency comparison page: every chosen model on every backend configuration of this
 * device, each cell in a fresh iframe (see lib/latency-plan.ts), then a sortable table,
 * charts, latency fits and a budget pick.
 *
 * The URL can preset a run: ?models=a,b&configs=wasm-1&warmup=2&runs=10&cpu=1&run=1
 *
 * A model without a pack offers its published checkpoint ("Download pretrained weights"):
 * `load(id, { pretrained: true })` in a worker downloads, converts and caches the pack in
 * IndexedDB, and the runner pages then load it from there (`?checkpoints=<mirror>` and
 * `?checkpoint=<id>:<sha256>:<url>` say where from: lib/pretrained.ts).
 */
import type { CatalogEntry } from './lib/catalog';
import { defaultSelection } from './lib/catalog';
import { exportFileName, toCsv, toJson } from './lib/export';
import { formatCount, modelName } from './lib/format';
import type { BackendConfig, Cell } from './lib/latency-plan';
import { backendConfigs, planCells } from './lib/latency-plan';
import type { LatencyRow } from './lib/latency-results';
import { CSV_COLUMNS, fitsByConfig, toRow } from './lib/latency-results';
import type { CheckpointChoice } from './lib/pretrained';
import { hasCheckpoint, pretrainedLoadOptions } from './lib/pretrained';
import type { WebnetsApi } from './ui/api';
import { importWebnets } from './ui/api';
import { loadCatalog } from './ui/catalog-loader';
import { byId, download, el, showProblem } from './ui/dom';
import { renderBudget } from './ui/budget-view';
import { renderFits } from './ui/fits-view';
import { renderCharts } from './ui/latency-charts';
import { ResultsTable } from './ui/results-table';
import { inlineDownload, pageCheckpointChoice, pretrainedButton } from './ui/pretrained-download';
import { runCell } from './ui/runner-host';

const form = byId<HTMLFormElement>('setup');
const modelsBox = byId('models');
const backendsBox = byId('backends');
const warmupInput = byId<HTMLInputElement>('warmup');
const runsInput = byId<HTMLInputElement>('runs');
const runButton = byId<HTMLButtonElement>('run');
const cancelButton = byId<HTMLButtonElement>('cancel');
const progress = byId<HTMLProgressElement>('run-progress');
const status = byId('run-status');
const errorsBox = byId('run-errors');
const chartsBox = byId('charts');
const budgetInput = byId<HTMLInputElement>('budget');
const budgetAnswer = byId('budget-answer');
const frames = byId('runner-frames');
const table = new ResultsTable(byId<HTMLTableElement>('results'));
const fitsBody = byId<HTMLTableElement>('fits').tBodies[0] as HTMLTableSectionElement;

const query = new URLSearchParams(location.search);
let catalog: CatalogEntry[] = [];
let configs: BackendConfig[] = [];
let rows: LatencyRow[] = [];
let failures: string[] = [];
let running: AbortController | null = null;
let device: Record<string, unknown> = {};
let api: WebnetsApi;
let checkpoints: CheckpointChoice = {};
/** Models without a pack whose pretrained weights were downloaded and cached here. */
const downloaded = new Set<string>();

/** What this device offers; WebGPU counts only if an adapter is actually granted. */
async function detectDevice(): Promise<{ webgpu: boolean; isolated: boolean; cores: number }> {
  interface AdapterLike {
    info?: { vendor?: string; architecture?: string };
  }
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  const webgpu = !!adapter;
  const adapterInfo = [adapter?.info?.vendor, adapter?.info?.architecture]
    .filter(Boolean)
    .join(' ');
  const cores = navigator.hardwareConcurrency || 1;
  device = {
    userAgent: navigator.userAgent,
    cores,
    crossOriginIsolated,
    webgpu,
    adapter: adapterInfo,
  };
  return { webgpu, isolated: crossOriginIsolated, cores };
}

function checkbox(
  name: string,
  value: string,
  label: string,
  meta: string,
  checked: boolean,
): HTMLLabelElement {
  const wrap = el('label', 'check');
  const input = el('input');
  input.type = 'checkbox';
  input.name = name;
  input.value = value;
  input.checked = checked;
  wrap.append(input, el('span', undefined, label));
  if (meta) wrap.append(el('span', 'meta', meta));
  return wrap;
}

function renderModelChoices(): void {
  const wanted = query.get('models')?.split(',') ?? defaultSelection(catalog);
  modelsBox.replaceChildren(
    ...catalog.map((e) => {
      const box = checkbox(
        'model',
        e.id,
        modelName(e.id),
        `${formatCount(e.complexity.macs)} MACs`,
        wanted.includes(e.id),
      );
      box.append(weightsBadge(e));
      if (!e.pack && !downloaded.has(e.id)) {
        const offer = pretrainedButton(e, checkpoints, () => void downloadPretrained(e, box));
        if (offer) box.append(offer);
      }
      return box;
    }),
  );
}

function weightsBadge(e: CatalogEntry): HTMLElement {
  const [kind, text] = e.pack
    ? ['pretrained', 'pack']
    : downloaded.has(e.id)
      ? ['pretrained', 'pretrained']
      : ['synthetic', 'synthetic'];
  const badge = el('span', `badge ${kind}`, text);
  badge.dataset.weights = text;
  return badge;
}

/**
 * Marks the models whose pretrained weights an earlier visit downloaded (the SDK's cache
 * has their packs), so that a reload neither offers them again nor measures synthetic ones.
 */
async function rememberDownloads(): Promise<void> {
  const offered = catalog.filter((e) => !e.pack && hasCheckpoint(e, checkpoints));
  const cached = await Promise.all(
    offered.map((e) =>
      api.isCached(e.id, pretrainedLoadOptions(e.id, checkpoints)).catch(() => false),
    ),
  );
  offered.forEach((e, i) => {
    const box = modelsBox.querySelector(`input[value="${e.id}"]`)?.closest('label');
    if (cached[i] && box) markDownloaded(e, box);
  });
}

/** The row of a model whose pretrained pack is in the cache: badge says so, no offer. */
function markDownloaded(e: CatalogEntry, box: Element): void {
  downloaded.add(e.id);
  box.querySelector('.badge')?.replaceWith(weightsBadge(e));
  box.querySelector('button.download-pretrained')?.remove();
}

/**
 * Downloads, converts and caches a model's pretrained weights (a model loaded in a worker
 * and disposed at once: only the cached pack is wanted), showing the progress in its row.
 */
async function downloadPretrained(e: CatalogEntry, box: HTMLElement): Promise<void> {
  const offer = box.querySelector('button.download-pretrained');
  const progress = inlineDownload(modelName(e.id));
  offer?.replaceWith(progress.root);
  try {
    const model = await api.load(e.id, {
      ...pretrainedLoadOptions(e.id, checkpoints),
      worker: true,
      backend: 'wasm',
      threads: 1,
      onProgress: progress.onProgress,
    });
    model.dispose();
    markDownloaded(e, box);
    progress.root.remove();
  } catch (error) {
    if (offer) progress.root.replaceWith(offer);
    if (offer instanceof HTMLButtonElement) offer.disabled = false;
    showProblem(errorsBox, {
      title: `The pretrained weights of ${modelName(e.id)} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      advice: 'Its measurements use synthetic weights until they are.',
    });
  }
}

function renderBackendChoices(withCpu: boolean, wanted = query.get('configs')?.split(',')): void {
  backendsBox.replaceChildren(
    ...configs.map((c) =>
      checkbox('config', c.key, c.label, '', wanted ? wanted.includes(c.key) : c.backend !== 'cpu'),
    ),
  );
  if (!withCpu) {
    const more = el('button', 'link', 'Also offer CPU (plain JavaScript, slow)');
    more.type = 'button';
    more.addEventListener('click', async () => {
      const keep = checked('config');
      configs = backendConfigs(await detectDevice(), true);
      renderBackendChoices(true, [...keep, 'cpu']);
    });
    backendsBox.append(more);
  }
  if (!crossOriginIsolated) {
    backendsBox.append(
      el(
        'p',
        'muted small',
        'This page is not cross-origin isolated, so WASM runs single-threaded only.',
      ),
    );
  }
}

function checked(name: string): string[] {
  return [...form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map(
    (i) => i.value,
  );
}

function selectModels(which: string): void {
  for (const input of form.querySelectorAll<HTMLInputElement>('input[name="model"]')) {
    const e = catalog.find((c) => c.id === input.value);
    input.checked =
      which === 'all' ||
      (which === 'pretrained' && (!!e?.pack || downloaded.has(input.value))) ||
      (which === 'small' && (e?.complexity.macs ?? Infinity) < 1e9);
  }
}

function showResults(): void {
  table.set(rows);
  renderCharts(chartsBox, rows);
  renderFits(fitsBody, fitsByConfig(rows));
  showBudget();
  for (const id of ['download-json', 'download-csv'])
    byId<HTMLButtonElement>(id).disabled = rows.length === 0;
}

function showBudget(): void {
  renderBudget(budgetAnswer, Number(budgetInput.value), rows, catalog);
}

async function run(): Promise<void> {
  const models = checked('model');
  const keys = checked('config');
  const chosen = configs.filter((c) => keys.includes(c.key));
  if (models.length === 0 || chosen.length === 0) {
    showProblem(errorsBox, {
      title: 'Nothing to run.',
      advice: 'Choose at least one model and one backend.',
    });
    return;
  }
  const settings = { warmup: Number(warmupInput.value), runs: Number(runsInput.value) };
  const cells: Cell[] = planCells(
    models.map((id) => ({
      id,
      weightsUrl: catalog.find((e) => e.id === id)?.pack?.url ?? null,
      pretrained: downloaded.has(id) ? checkpoints : null,
    })),
    chosen,
  );
  running = new AbortController();
  runButton.disabled = true;
  cancelButton.disabled = false;
  showProblem(errorsBox, null);
  rows = [];
  failures = [];
  showResults();
  const perCell = 1 / cells.length;
  for (const [i, cell] of cells.entries()) {
    const what = `${modelName(cell.modelId)} on ${cell.config.label} (${i + 1} of ${cells.length})`;
    status.textContent = `Loading ${what}…`;
    progress.value = i * perCell;
    try {
      const result = await runCell(
        cell,
        settings,
        frames,
        (p) => {
          progress.value = (i + (p.total ? p.done / p.total : 0)) * perCell;
          status.textContent =
            p.phase === 'loading'
              ? `Loading ${what}…`
              : `${p.phase === 'warmup' ? 'Warming up' : 'Timing'} ${what}: ${p.done} / ${p.total}`;
        },
        running.signal,
      );
      const entry = catalog.find((e) => e.id === cell.modelId);
      rows.push(
        toRow(result, cell.config.label, {
          complexity: entry?.complexity ?? { params: NaN, macs: NaN, activations: NaN },
          top1: entry?.top1 ?? null,
        }),
      );
      showResults();
    } catch (error) {
      if (running.signal.aborted) break;
      failures.push(
        `${modelName(cell.modelId)} on ${cell.config.label}: ${error instanceof Error ? error.message : String(error)}`,
      );
      showProblem(errorsBox, {
        title: `${failures.length} measurement(s) failed; the others went on.`,
        advice: failures.join(' · '),
      });
    }
  }
  const cancelled = running.signal.aborted;
  progress.value = cancelled ? progress.value : 1;
  status.textContent = cancelled
    ? `Cancelled after ${rows.length} of ${cells.length} measurements.`
    : `Done: ${rows.length} of ${cells.length} measurements${failures.length ? `, ${failures.length} failed` : ''}. Timings on a busy machine are noisy; run again to compare.`;
  running = null;
  runButton.disabled = false;
  cancelButton.disabled = true;
}

function report(): unknown {
  return {
    tool: 'webnets latency page',
    date: new Date().toISOString(),
    device,
    settings: { warmup: Number(warmupInput.value), runs: Number(runsInput.value) },
    results: rows,
    fits: fitsByConfig(rows),
    failures,
  };
}

async function main(): Promise<void> {
  showResults();
  if (query.has('warmup')) warmupInput.value = query.get('warmup') as string;
  if (query.has('runs')) runsInput.value = query.get('runs') as string;
  try {
    api = await importWebnets();
    const [loaded, dev] = await Promise.all([loadCatalog(api), detectDevice()]);
    catalog = loaded.entries;
    configs = backendConfigs(dev, query.get('cpu') === '1');
    if (loaded.warnings.length) {
      showProblem(errorsBox, {
        title: 'Some model information is missing.',
        advice: loaded.warnings.join(' '),
      });
      errorsBox.classList.add('warn');
    }
  } catch (error) {
    showProblem(errorsBox, {
      title: `The SDK could not start: ${error instanceof Error ? error.message : String(error)}`,
      advice: 'Run `npm run build` (or `npm run demo`) and reload.',
    });
    return;
  }
  try {
    checkpoints = pageCheckpointChoice();
  } catch (error) {
    showProblem(errorsBox, {
      title: `The page's address is not understood: ${error instanceof Error ? error.message : String(error)}`,
      advice: 'Downloads use the publishers’ checkpoints instead.',
    });
  }
  renderModelChoices();
  renderBackendChoices(query.get('cpu') === '1');
  void rememberDownloads();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    errorsBox.classList.remove('warn');
    void run();
  });
  cancelButton.addEventListener('click', () => running?.abort());
  for (const b of form.querySelectorAll<HTMLButtonElement>('[data-select]')) {
    b.addEventListener('click', () => selectModels(b.dataset.select ?? 'none'));
  }
  budgetInput.addEventListener('input', showBudget);
  byId('download-json').addEventListener('click', () =>
    download(
      exportFileName('webnets-latency', new Date(), 'json'),
      toJson(report()),
      'application/json',
    ),
  );
  byId('download-csv').addEventListener('click', () =>
    download(
      exportFileName('webnets-latency', new Date(), 'csv'),
      toCsv(CSV_COLUMNS, rows),
      'text/csv',
    ),
  );
  if (query.get('run') === '1') form.requestSubmit();
}

void main();
