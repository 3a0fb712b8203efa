/**
 * What the catalog joins: the SDK's presets with their published checkpoints and accuracy
 * (`listModels()`, from models/models.json) and the packs prepared on this machine.
 */
import type { CatalogEntry } from '../lib/catalog';
import { buildCatalog } from '../lib/catalog';
import type { PackIndex } from '../lib/pack-index';
import { parsePackIndex } from '../lib/pack-index';
import type { WebnetsApi } from './api';

export const PACK_INDEX_URL = '/packs/index.json';

export interface LoadedCatalog {
  entries: CatalogEntry[];
  /** Problems reading the pack index: shown, never fatal. */
  warnings: string[];
}

/** The pack index, or null when nothing was prepared (404); a broken one is a warning. */
async function packIndex(warnings: string[]): Promise<PackIndex | null> {
  try {
    const response = await fetch(PACK_INDEX_URL, { cache: 'no-cache' });
    if (response.status === 404) {
      warnings.push(
        'No packs were prepared (/packs/index.json is missing), so every model runs with synthetic weights: start the demo with `npm run demo`, which converts the checkpoints it finds.',
      );
      return null;
    }
    if (!response.ok) throw new Error(`${PACK_INDEX_URL}: HTTP ${response.status}`);
    return parsePackIndex(await response.json());
  } catch (error) {
    warnings.push(error instanceof Error ? error.message : String(error));
    return null;
  }
}

export async function loadCatalog(api: WebnetsApi): Promise<LoadedCatalog> {
  const warnings: string[] = [];
  const packs = await packIndex(warnings);
  const presets = api.listModels();
  const published = presets.map((p) => ({
    id: p.id,
    top1: p.pretrained?.top1 ?? null,
    // Only a checkpoint whose download the SDK can verify is offered (not FD-MobileNet 1×'s).
    source: p.pretrained?.sha256 ? p.pretrained.url : null,
  }));
  const indexUrl = new URL(PACK_INDEX_URL, location.href).href;
  return { entries: buildCatalog(presets, packs, published, indexUrl), warnings };
}
