/**
 * The camera demo's offer of a model's published checkpoint: a "Download pretrained
 * weights (≈ N MB)" button, shown where a model runs with synthetic weights, that loads it
 * with `load(id, { pretrained: true })` (downloaded, verified, converted in a worker and
 * cached in IndexedDB by the SDK). `?checkpoints=<url>` in the page's address points the
 * downloads at a mirror laid out like the publishers' paths (`baseUrl`).
 */
import type { CatalogEntry } from '../lib/catalog';
import { formatBytes } from '../lib/format';
import { el } from './dom';

/** The mirror the page was told to use, or undefined for the publishers' URLs. */
export function checkpointMirror(): string | undefined {
  return new URLSearchParams(location.search).get('checkpoints') ?? undefined;
}

/** A float32 checkpoint holds about 4 bytes a parameter. */
export function checkpointBytes(entry: CatalogEntry): number {
  return 4 * entry.complexity.params;
}

/** The button, for a model with a published checkpoint; null for one without. */
export function pretrainedButton(
  entry: CatalogEntry | undefined,
  onClick: () => void,
): HTMLButtonElement | null {
  if (!entry?.source) return null;
  const button = el(
    'button',
    'download-pretrained',
    `Download pretrained weights (≈ ${formatBytes(checkpointBytes(entry))})`,
  );
  button.type = 'button';
  button.id = 'download-pretrained';
  button.addEventListener('click', () => {
    button.disabled = true;
    onClick();
  });
  return button;
}
