/** Fetches what the catalog joins: the SDK's presets, the local pack index, models.json. */
import type { CatalogEntry, PublishedModel } from '../lib/catalog';
import { buildCatalog, parsePublishedModels } from '../lib/catalog';
import type { PackIndex } from '../lib/pack-index';
import { parsePackIndex } from '../lib/pack-index';
import type { WebnetsApi } from './api';

export const PACK_INDEX_URL = '/packs/index.json';
export const MODEL_LIST_URL = '/models/models.json';

/** A JSON file that may legitimately be absent (404 → null); other failures throw. */
async function optionalJson(url: string): Promise<unknown> {
  const response = await fetch(url, { cache: 'no-cache' });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

export interface LoadedCatalog {
  entries: CatalogEntry[];
  /** Problems reading the optional files: shown, never fatal. */
  warnings: string[];
}

export async function loadCatalog(api: WebnetsApi): Promise<LoadedCatalog> {
  const warnings: string[] = [];
  let packs: PackIndex | null = null;
  let published: PublishedModel[] = [];
  const [packJson, listJson] = await Promise.all([
    optionalJson(PACK_INDEX_URL).catch((e: unknown) => (warnings.push(String(e)), null)),
    optionalJson(MODEL_LIST_URL).catch((e: unknown) => (warnings.push(String(e)), null)),
  ]);
  try {
    packs = packJson === null ? null : parsePackIndex(packJson);
  } catch (e) {
    warnings.push(String(e));
  }
  if (packJson === null) {
    warnings.push(
      'No prepared packs (/packs/index.json): every model runs with synthetic weights. `npm run demo` prepares them.',
    );
  }
  try {
    published = listJson === null ? [] : parsePublishedModels(listJson);
  } catch (e) {
    warnings.push(String(e));
  }
  const presets = await api.listModels();
  const indexUrl = new URL(PACK_INDEX_URL, location.href).href;
  return { entries: buildCatalog(presets, packs, published, indexUrl), warnings };
}
