/**
 * The live camera demo: classifies camera frames (or an uploaded image) with the chosen
 * model, one inference at a time, and shows the top 5, the model, its backend and its
 * live latency. Built on the public API only (see ui/api.ts).
 *
 * `?backend=webgpu|wasm|cpu&threads=N&worker=1` presets the backend, the WASM thread count and
 * whether the model runs in a worker (then inference leaves the page's thread free: the
 * latency table shows the page's frame time beside each model's).
 */
import { cameraDisconnected, describeCameraError, describeLoadError } from './lib/camera-errors';
import type { CatalogEntry } from './lib/catalog';
import type { CheckpointChoice } from './lib/pretrained';
import { defaultEntry, weightsAdvice } from './lib/catalog';
import { createFrameLoop } from './lib/frame-loop';
import { formatBytes, formatCount, formatPercent, modelName } from './lib/format';
import { createModelSlot } from './lib/model-slot';
import type { BackendOption, Model, WebnetsApi } from './ui/api';
import { importWebnets } from './ui/api';
import type { Camera } from './ui/camera-source';
import { loadImageFile, startCamera, videoFrames } from './ui/camera-source';
import { loadCatalog } from './ui/catalog-loader';
import { byId, el, showProblem } from './ui/dom';
import { startFrameMeter } from './ui/frame-meter';
import { LiveLatency, latencyKey } from './ui/live-latency';
import { renderPredictions } from './ui/predictions';
import { hasCheckpoint, pretrainedLoadOptions } from './lib/pretrained';
import { followDownload, pageCheckpointChoice, pretrainedButton } from './ui/pretrained-download';
import { createRegionSelect } from './ui/region-select';

const video = byId<HTMLVideoElement>('video');
const still = byId<HTMLImageElement>('still');
const viewport = byId('viewport');
const placeholder = byId('placeholder');
const overlay = byId('overlay');
const startButton = byId<HTMLButtonElement>('start-camera');
const stopButton = byId<HTMLButtonElement>('stop-camera');
const fileInput = byId<HTMLInputElement>('file');
const cameraMessage = byId('camera-message');
const imageMessage = byId('image-message');
const modelSelect = byId<HTMLSelectElement>('model');
const backendSelect = byId<HTMLSelectElement>('backend');
const workerToggle = byId<HTMLInputElement>('worker');
const download = byId('download');
const downloadLabel = byId('download-label');
const downloadProgress = byId<HTMLProgressElement>('download-progress');
const modelStatus = byId('model-status');
const modelMessage = byId('model-message');
const catalogMessage = byId('catalog-message');
const predictions = byId<HTMLOListElement>('predictions');
const weightsNote = byId('weights-note');
const latency = new LiveLatency(byId<HTMLTableSectionElement>('latency'));
const clearRegion = byId<HTMLButtonElement>('clear-region');
/** The region of the picture the user dragged: classify looks only there. */
const regionSelect = createRegionSelect({
  viewport,
  box: byId('region-box'),
  media: () => (source === 'camera' ? video : source === 'image' ? still : null),
  onChange: (region) => {
    clearRegion.disabled = region === null;
    if (source === 'image') void classifyStill();
  },
});

let api: WebnetsApi;
let catalog: CatalogEntry[] = [];
let camera: Camera | null = null;
/** What is classified: the live camera, or a still image the user gave. */
let source: 'camera' | 'image' | 'none' = 'none';
/** WASM threads for `load` (`?threads=`); undefined = the SDK's default. */
let threads: number | undefined;
/** The models loaded with `worker: true`. */
const workerModels = new WeakSet<Model>();
/** Models whose published checkpoint was downloaded here (the SDK's cache has their packs). */
const pretrainedModels = new Set<string>();
/** Where checkpoints come from (`?checkpoints=<mirror>`, `?checkpoint=<id>:<sha256>:<url>`). */
let checkpoints: CheckpointChoice = {};

const loop = createFrameLoop({
  nextFrame: videoFrames(video),
  infer: classifyFrame,
  onError: (error) =>
    showProblem(cameraMessage, {
      title: `Classification stopped: ${error instanceof Error ? error.message : String(error)}`,
      advice: 'Press “Start camera” to try again, or pick another model.',
    }),
});
const slot = createModelSlot<Model>({
  dispose: (m) => m.dispose(),
  whenIdle: () => loop.whenIdle(),
});

function entryFor(id: string): CatalogEntry | undefined {
  return catalog.find((e) => e.id === id);
}

/** One classification of `input` with the current model, timed and shown. */
async function classifyOnce(input: HTMLVideoElement | HTMLImageElement): Promise<void> {
  const model = slot.current;
  if (!model) return;
  const started = performance.now();
  const region = regionSelect.region();
  const top = await model.classify(input, {
    topK: 5,
    ...(region === null ? {} : { regionOfInterest: region }),
  });
  const done = performance.now();
  latency.record(
    latencyKey(model.id, model.backend, workerModels.has(model)),
    done - started,
    done,
  );
  latency.render();
  renderPredictions(predictions, top);
  // The region these predictions were made for ('' for the whole picture).
  predictions.dataset.region = region === null ? '' : (viewport.dataset.region ?? '');
  const best = top[0];
  overlay.textContent = best ? `${best.label} · ${formatPercent(best.probability)}` : '';
}

async function classifyFrame(): Promise<void> {
  // HAVE_CURRENT_DATA: before it, the video has no frame to read.
  if (source !== 'camera' || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
  await classifyOnce(video);
}

function showSource(which: 'camera' | 'image' | 'none'): void {
  // A region belongs to the picture it was drawn on (cleared before the switch: no re-run).
  if (regionSelect.region() !== null) regionSelect.clear();
  source = which;
  video.hidden = which !== 'camera';
  still.hidden = which !== 'image';
  placeholder.hidden = which !== 'none';
  if (which === 'none') overlay.textContent = '';
}

async function startCameraSource(): Promise<void> {
  showProblem(cameraMessage, null);
  startButton.disabled = true;
  placeholder.textContent = 'Waiting for the camera…';
  try {
    camera?.stop();
    camera = await startCamera(video, () => {
      stopCameraSource();
      showProblem(cameraMessage, cameraDisconnected());
    });
    showSource('camera');
    stopButton.disabled = false;
    loop.start();
    return;
  } catch (error) {
    camera = null;
    if (source === 'camera' || source === 'none') {
      showSource('none');
      placeholder.textContent = 'No camera. Choose or drop an image instead.';
    }
    showProblem(cameraMessage, describeCameraError(error));
  }
  startButton.disabled = false;
}

function stopCameraSource(): void {
  loop.stop();
  camera?.stop();
  camera = null;
  stopButton.disabled = true;
  startButton.disabled = false;
  if (source === 'camera') {
    showSource('none');
    placeholder.textContent = 'Camera stopped.';
  }
}

async function useImage(file: File): Promise<void> {
  showProblem(imageMessage, null);
  try {
    stopCameraSource();
    await loadImageFile(file, still);
  } catch (error) {
    showProblem(imageMessage, {
      title: error instanceof Error ? error.message : String(error),
      advice: 'Choose a JPEG, PNG, WebP or GIF image.',
    });
    return;
  }
  still.alt = `The uploaded image ${file.name}`;
  showSource('image');
  await loop.whenIdle();
  await classifyStill();
}

/** Classifies the still image (again: a new image, or a new model). */
async function classifyStill(): Promise<void> {
  try {
    await classifyOnce(still);
  } catch (error) {
    showProblem(imageMessage, {
      title: `Classification failed: ${error instanceof Error ? error.message : String(error)}`,
      advice: 'Pick another model or backend, or another image.',
    });
  }
}

function renderModelStatus(model: Model, entry: CatalogEntry | undefined): void {
  const synthetic = model.info.synthetic;
  const badge = el(
    'span',
    `badge ${synthetic ? 'synthetic' : 'pretrained'}`,
    synthetic ? 'synthetic weights' : 'pretrained weights',
  );
  const name = el('div', 'name', `${modelName(model.id)} `);
  name.append(badge);
  const c = model.info.complexity;
  const facts = el(
    'div',
    'muted small',
    `${formatCount(c.params)} params · ${formatCount(c.macs)} MACs · ${formatCount(c.activations)} activations${entry?.top1 ? ` · ${entry.top1} % ImageNet top-1 (published)` : ''}`,
  );
  const backend = el('div', 'small');
  backend.append(
    el('strong', undefined, `Backend: ${model.backend}`),
    el('span', 'muted', ` — ${model.backendReason}`),
  );
  const thread = el(
    'div',
    'small',
    workerModels.has(model)
      ? 'Runs in a worker: the page keeps its frames while the model works.'
      : "Runs on the page's thread: each inference holds up the page's frames.",
  );
  thread.id = 'model-thread';
  modelStatus.replaceChildren(name, facts, backend, thread);
  weightsNote.replaceChildren();
  weightsNote.hidden = !synthetic;
  if (synthetic) {
    weightsNote.append(
      el(
        'strong',
        undefined,
        `No pretrained weights for ${modelName(model.id)} here: these predictions are meaningless.`,
      ),
      ' ',
      el('span', undefined, weightsAdvice(model.id)),
    );
    const offer = pretrainedButton(entry, checkpoints, () => {
      pretrainedModels.add(model.id);
      void switchModel(model.id);
    });
    if (offer) {
      offer.id = 'download-pretrained';
      weightsNote.append(' ', offer);
    }
  }
}

async function switchModel(id: string): Promise<void> {
  const entry = entryFor(id);
  const backend = backendSelect.value as BackendOption;
  const worker = workerToggle.checked;
  showProblem(modelMessage, null);
  download.hidden = false;
  // Weights downloaded on an earlier visit are in the SDK's cache: use them again.
  if (!entry?.pack && entry && hasCheckpoint(entry, checkpoints) && !pretrainedModels.has(id)) {
    const cached = await api
      .isCached(id, pretrainedLoadOptions(id, checkpoints))
      .catch(() => false);
    if (cached) pretrainedModels.add(id);
  }
  const pretrained = pretrainedModels.has(id) && !entry?.pack;
  const onProgress = followDownload(downloadLabel, downloadProgress, modelName(id), pretrained);
  downloadLabel.textContent = entry?.pack
    ? `Downloading ${modelName(id)} (${formatBytes(entry.pack.bytes)})…`
    : pretrained
      ? `Downloading the pretrained weights of ${modelName(id)}…`
      : `Generating synthetic weights for ${modelName(id)}…`;
  try {
    const model = await slot.switchTo((signal) =>
      api
        .load(id, {
          backend,
          ...(threads !== undefined ? { threads } : {}),
          worker,
          signal,
          ...(entry?.pack
            ? { weightsUrl: entry.pack.url }
            : pretrained
              ? pretrainedLoadOptions(id, checkpoints)
              : { synthetic: true }),
          onProgress,
        })
        .then((loaded) => {
          if (worker) workerModels.add(loaded);
          return loaded;
        }),
    );
    if (!model) return; // superseded by a later pick
    latency.restart(latencyKey(model.id, model.backend, worker));
    renderModelStatus(model, entry);
    download.hidden = true;
  } catch (error) {
    download.hidden = true;
    if (pretrained) pretrainedModels.delete(id);
    showProblem(modelMessage, describeLoadError(modelName(id), error));
    const current = slot.current;
    if (current) modelSelect.value = current.id; // the picker shows what is running
    if (current) workerToggle.checked = workerModels.has(current);
    return;
  }
  if (source === 'image') await classifyStill();
}

function fillModelPicker(): void {
  const withPack = el('optgroup');
  withPack.label = 'Pretrained weights (pack on this machine)';
  const synthetic = el('optgroup');
  synthetic.label = 'Synthetic weights (no pack: predictions are meaningless)';
  for (const entry of catalog) {
    const option = el(
      'option',
      undefined,
      entry.pack ? modelName(entry.id) : `${modelName(entry.id)} — synthetic`,
    );
    option.value = entry.id;
    (entry.pack ? withPack : synthetic).append(option);
  }
  modelSelect.replaceChildren(...[withPack, synthetic].filter((g) => g.children.length > 0));
  modelSelect.disabled = false;
}

function wireInputs(): void {
  startButton.addEventListener('click', () => void startCameraSource());
  stopButton.addEventListener('click', stopCameraSource);
  clearRegion.addEventListener('click', () => regionSelect.clear());
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) void useImage(file);
    fileInput.value = '';
  });
  viewport.addEventListener('dragover', (e) => {
    e.preventDefault();
    viewport.classList.add('dragging');
  });
  viewport.addEventListener('dragleave', () => viewport.classList.remove('dragging'));
  viewport.addEventListener('drop', (e) => {
    e.preventDefault();
    viewport.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (file) void useImage(file);
  });
  modelSelect.addEventListener('change', () => void switchModel(modelSelect.value));
  backendSelect.addEventListener('change', () => void switchModel(modelSelect.value));
  workerToggle.addEventListener('change', () => void switchModel(modelSelect.value));
}

/**
 * `?backend=wasm&threads=1&worker=1` presets the backend, the WASM thread count (fixed once
 * WASM starts in a page, so it is a page parameter, not a control; a worker starts its own)
 * and the worker switch.
 */
function readQuery(): void {
  const query = new URLSearchParams(location.search);
  const backend = query.get('backend');
  if (backend && [...backendSelect.options].some((o) => o.value === backend)) {
    backendSelect.value = backend;
  }
  const n = Number(query.get('threads'));
  if (query.has('threads') && Number.isInteger(n) && n >= 1) threads = n;
  workerToggle.checked = query.get('worker') === '1';
  try {
    checkpoints = pageCheckpointChoice();
  } catch (error) {
    showProblem(catalogMessage, {
      title: `The page's address is not understood: ${error instanceof Error ? error.message : String(error)}`,
      advice: 'Downloads use the publishers’ checkpoints instead.',
    });
  }
}

/** An error outside any awaited call (e.g. a WASM worker that failed to start) is shown too. */
function reportUncaught(): void {
  window.addEventListener('error', (event) => {
    const inner = (event.error as { message?: unknown } | null)?.message;
    showProblem(modelMessage, {
      title: `Something failed in the background: ${typeof inner === 'string' && inner ? inner : event.message}`,
      advice:
        'If the model does not finish loading, pick another backend (e.g. WASM with ?threads=1, or WebGPU) or another model.',
    });
  });
}

async function main(): Promise<void> {
  readQuery();
  reportUncaught();
  startFrameMeter((interval, at) => latency.recordFrame(interval, at));
  wireInputs();
  void startCameraSource();
  try {
    api = await importWebnets();
    const loaded = await loadCatalog(api);
    catalog = loaded.entries;
    if (loaded.warnings.length > 0) {
      showProblem(catalogMessage, {
        title: 'Some model information is missing.',
        advice: loaded.warnings.join(' '),
      });
    }
  } catch (error) {
    showProblem(modelMessage, {
      title: `The SDK could not start: ${error instanceof Error ? error.message : String(error)}`,
      advice: 'The camera keeps running; reload the page once the problem is fixed.',
    });
    return;
  }
  fillModelPicker();
  const first = defaultEntry(catalog);
  if (first) {
    modelSelect.value = first.id;
    await switchModel(first.id);
  }
}

void main();
