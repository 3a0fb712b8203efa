/**
 * The models the pages offer: every preset the SDK knows (`listModels()`), joined with
 * the packs prepared on this machine (pretrained weights) and the published accuracy of
 * each preset's source checkpoint (`models/models.json`).
 */
import type { PackIndex, PackIndexEntry } from './pack-index';

export const DEFAULT_MODEL = 'fd-mobilenet-0.5x';

export interface Complexity {
  params: number;
  macs: number;
  activations: number;
}

/** What the pages need of a `listModels()` entry. */
export interface PresetSummary {
  id: string;
  complexity: Complexity;
}

/** What the pages need of a models/models.json entry. */
export interface PublishedModel {
  id: string;
  /** ImageNet top-1 of the source checkpoint, percent. */
  top1: number | null;
  /** Where the pretrained weights come from (checkpoint name or URL). */
  source: string | null;
}

export interface CatalogEntry {
  id: string;
  complexity: Complexity;
  /** The prepared pack, when this machine has pretrained weights for the model. */
  pack: (PackIndexEntry & { url: string }) | null;
  top1: number | null;
  source: string | null;
}

/**
 * Presets in picker order: FD-MobileNet 0.5× first, then those with a pack, then the rest
 * (synthetic weights), each group from the cheapest to the most expensive.
 */
export function buildCatalog(
  presets: readonly PresetSummary[],
  packs: PackIndex | null,
  published: readonly PublishedModel[],
  indexUrl: string,
): CatalogEntry[] {
  const packById = new Map((packs?.packs ?? []).map((p) => [p.id, p]));
  const pubById = new Map(published.map((p) => [p.id, p]));
  const entries = presets.map((preset): CatalogEntry => {
    const pack = packById.get(preset.id);
    const pub = pubById.get(preset.id);
    return {
      id: preset.id,
      complexity: preset.complexity,
      pack: pack ? { ...pack, url: new URL(pack.path, indexUrl).href } : null,
      top1: pub?.top1 ?? null,
      source: pub?.source ?? null,
    };
  });
  const rank = (e: CatalogEntry): number[] => [
    e.id === DEFAULT_MODEL ? 0 : 1,
    e.pack ? 0 : 1,
    e.complexity.macs,
  ];
  return entries.sort((x, y) => {
    const [a, b] = [rank(x), rank(y)];
    for (let i = 0; i < a.length; i++)
      if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
    return x.id.localeCompare(y.id);
  });
}

/**
 * Reads models/models.json: `{ pretrained: { [id]: { top1, file, url, … } } }`, each
 * preset's published checkpoint (top1 in percent, null when unpublished). Throws naming
 * the entry that is malformed.
 */
export function parsePublishedModels(json: unknown): PublishedModel[] {
  const table = (json as { pretrained?: unknown } | null)?.pretrained;
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw new Error('models/models.json: expected { "pretrained": { "<model id>": {...} } }');
  }
  return Object.entries(table as Record<string, unknown>).map(([id, m]): PublishedModel => {
    const e = (m ?? {}) as Record<string, unknown>;
    const top1 = e.top1 ?? null;
    if (top1 !== null && typeof top1 !== 'number') {
      throw new Error(`models/models.json: pretrained["${id}"].top1 must be a number or null`);
    }
    const source = typeof e.file === 'string' ? e.file : typeof e.url === 'string' ? e.url : null;
    return { id, top1, source };
  });
}

/** The entry a page starts with: the first in catalog order (see `buildCatalog`). */
export function defaultEntry(catalog: readonly CatalogEntry[]): CatalogEntry | null {
  return catalog[0] ?? null;
}

/**
 * The latency page's starting selection: every model with a pack, FD-MobileNet 0.5×, and
 * the cheapest preset of each family (so each backend gets a fit over several designs).
 */
export function defaultSelection(catalog: readonly CatalogEntry[]): string[] {
  const family = (id: string): string => id.replace(/-[^-]+$/, '');
  const cheapest = new Map<string, CatalogEntry>();
  for (const e of catalog) {
    const seen = cheapest.get(family(e.id));
    if (!seen || e.complexity.macs < seen.complexity.macs) cheapest.set(family(e.id), e);
  }
  return catalog
    .filter((e) => e.pack || e.id === DEFAULT_MODEL || cheapest.get(family(e.id)) === e)
    .map((e) => e.id);
}

/** How to get pretrained weights for a model that has no pack here. */
export function weightsAdvice(id: string): string {
  return (
    `Get pretrained weights with \`npx webnets fetch-weights ${id}\`, or convert a checkpoint with ` +
    `\`npx webnets convert <checkpoint> --arch ${id} --out models/packs/${id}\` ` +
    '(or drop it into models/checkpoints/), then restart `npm run demo`.'
  );
}
