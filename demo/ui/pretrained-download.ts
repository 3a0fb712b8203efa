/**
 * The pages' offer of a model's published checkpoint (the camera demo's weights note, a
 * row of the latency page): a "Download pretrained weights (≈ N MB)" button, and the label
 * and progress bar that follow the load. The SDK does the work (`load(id, { pretrained:
 * true })`: downloaded, verified, converted in a worker, cached in IndexedDB); where from
 * is read from the page's address (lib/pretrained.ts).
 */
import type { CatalogEntry } from '../lib/catalog';
import type { CheckpointChoice } from '../lib/pretrained';
import { downloadText, hasCheckpoint, offerText, parseCheckpointChoice } from '../lib/pretrained';
import { el } from './dom';

/** Where this page fetches checkpoints from (its `?checkpoints=` and `?checkpoint=`). */
export function pageCheckpointChoice(): CheckpointChoice {
  return parseCheckpointChoice(location.search);
}

/** The button, for a model with a checkpoint to offer; null for one without. */
export function pretrainedButton(
  entry: CatalogEntry | undefined,
  choice: CheckpointChoice,
  onClick: () => void,
): HTMLButtonElement | null {
  if (!entry || !hasCheckpoint(entry, choice)) return null;
  const button = el('button', 'download-pretrained', offerText(entry));
  button.type = 'button';
  button.dataset.model = entry.id;
  button.addEventListener('click', () => {
    button.disabled = true;
    onClick();
  });
  return button;
}

/**
 * Makes `label` and `bar` follow a load's `onProgress`: bytes downloaded, then (for a
 * checkpoint) the conversion, whose length is unknown (the bar goes indeterminate).
 */
export function followDownload(
  label: HTMLElement,
  bar: HTMLProgressElement,
  name: string,
  checkpoint: boolean,
): (progress: { loaded: number; total: number }) => void {
  bar.removeAttribute('value');
  return (progress) => {
    const converting = checkpoint && progress.total > 0 && progress.loaded === progress.total;
    if (converting) bar.removeAttribute('value');
    else if (progress.total > 0) bar.value = progress.loaded / progress.total;
    label.textContent = downloadText(name, progress, checkpoint);
  };
}

/** A label and a bar for a download shown inline (the latency page's model rows). */
export function inlineDownload(name: string): {
  root: HTMLElement;
  onProgress: (progress: { loaded: number; total: number }) => void;
} {
  const root = el('span', 'inline-download');
  const label = el('span', 'small muted', `Downloading ${name}…`);
  label.setAttribute('aria-live', 'polite');
  const bar = el('progress');
  bar.max = 1;
  root.append(label, bar);
  return { root, onProgress: followDownload(label, bar, name, true) };
}
