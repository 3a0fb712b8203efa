/**
 * `models/packs/index.json` (served at `/packs/index.json`): which converted packs exist.
 * `tools/prepare-packs.ts` writes it; the pages read it to know which models have
 * pretrained weights on this machine.
 */

export const PACK_INDEX_FORMAT = 'webnets-pack-index';

export interface PackIndexEntry {
  /** Model id the pack is for. */
  id: string;
  /** The pack's model.json, relative to index.json. */
  path: string;
  dtype: string;
  /** Total shard bytes: what loading downloads. */
  bytes: number;
  /** The checkpoint it was converted from. */
  source: { file: string; sha256: string };
}

export interface PackIndex {
  format: typeof PACK_INDEX_FORMAT;
  generated: string;
  packs: PackIndexEntry[];
}

function fail(what: string): never {
  throw new Error(`pack index (/packs/index.json): ${what}`);
}

/** Validates a parsed index.json; throws naming the field that is wrong. */
export function parsePackIndex(json: unknown): PackIndex {
  if (typeof json !== 'object' || json === null) fail('expected a JSON object');
  const o = json as Record<string, unknown>;
  if (o.format !== PACK_INDEX_FORMAT)
    fail(`format must be '${PACK_INDEX_FORMAT}', got ${JSON.stringify(o.format)}`);
  if (!Array.isArray(o.packs)) fail('packs must be an array');
  const packs = o.packs.map((p: unknown, i): PackIndexEntry => {
    const e = (p ?? {}) as Record<string, unknown>;
    const src = (e.source ?? {}) as Record<string, unknown>;
    if (typeof e.id !== 'string' || e.id === '') fail(`packs[${i}].id must be a model id`);
    if (typeof e.path !== 'string' || e.path === '')
      fail(`packs[${i}].path must be a relative path`);
    if (typeof e.bytes !== 'number') fail(`packs[${i}].bytes must be a number`);
    return {
      id: e.id,
      path: e.path,
      dtype: typeof e.dtype === 'string' ? e.dtype : 'float32',
      bytes: e.bytes,
      source: { file: String(src.file ?? ''), sha256: String(src.sha256 ?? '') },
    };
  });
  return { format: PACK_INDEX_FORMAT, generated: String(o.generated ?? ''), packs };
}
