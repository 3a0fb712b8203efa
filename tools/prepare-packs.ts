/**
 * `npm run demo`'s preparation step (run with tsx): converts the checkpoints it finds in
 * `../shared/weights/` and `models/checkpoints/` into packs under `models/packs/<id>/`
 * with the converter CLI, and writes `models/packs/index.json` listing every pack there.
 *
 * It is quick when nothing changed: a checkpoint is hashed only when its size or mtime
 * differs from what `.prepare-cache.json` remembers, and converted only when the hash
 * differs from the one its pack records. A conversion writes to a temporary folder that
 * replaces the pack only once complete, so a failure never leaves half a pack.
 *
 * Usage: tsx tools/prepare-packs.ts [--strict]   (--strict: a failed conversion exits 1)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { presetIds } from '../src/models/presets';
import type { PackManifest } from '../src/weights/pack';
import { PACK_INDEX_FORMAT } from '../demo/lib/pack-index';
import type { PackIndex } from '../demo/lib/pack-index';
import { parsePublishedModels } from '../demo/lib/catalog';
import type { FileStamp } from './pack-plan';
import {
  archForCheckpoint,
  cachedHash,
  indexEntry,
  isCheckpointFile,
  packState,
} from './pack-plan';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packsDir = join(root, 'models/packs');
const cacheFile = join(packsDir, '.prepare-cache.json');
const shared = process.env.WEBNETS_SHARED ?? resolve(root, '../shared');
const checkpointDirs = [join(shared, 'weights'), join(root, 'models/checkpoints')];

function publishedModels(): { id: string; source: string | null }[] {
  const file = join(root, 'models/models.json');
  return existsSync(file) ? parsePublishedModels(JSON.parse(readFileSync(file, 'utf8'))) : [];
}

function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && isCheckpointFile(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function readJson(file: string): unknown {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : null;
}

/** Runs `webnets convert` into a temporary folder and swaps it in. */
function convert(checkpoint: string, id: string): string | null {
  const out = join(packsDir, id);
  const tmp = join(packsDir, `.tmp-${id}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const run = spawnSync(
    process.execPath,
    [join(root, 'bin/webnets.js'), 'convert', checkpoint, '--arch', id, '--out', tmp],
    { cwd: root, encoding: 'utf8' },
  );
  if (run.status !== 0 || !existsSync(join(tmp, 'model.json'))) {
    rmSync(tmp, { recursive: true, force: true });
    const why = (run.stderr || run.stdout || `exit ${run.status}`)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
    return `webnets convert failed: ${why}`;
  }
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return null;
}

function writeIndex(): PackIndex {
  const packs = existsSync(packsDir)
    ? readdirSync(packsDir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .flatMap((e) => {
          const manifest = readJson(join(packsDir, e.name, 'model.json')) as PackManifest | null;
          return manifest ? [indexEntry(manifest, e.name)] : [];
        })
        .sort((a, b) => a.id.localeCompare(b.id))
    : [];
  const index: PackIndex = {
    format: PACK_INDEX_FORMAT,
    generated: new Date().toISOString(),
    packs,
  };
  mkdirSync(packsDir, { recursive: true });
  writeFileSync(join(packsDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return index;
}

export async function preparePacks(): Promise<{ failures: string[]; index: PackIndex }> {
  const started = performance.now();
  mkdirSync(packsDir, { recursive: true });
  const cache = (readJson(cacheFile) ?? {}) as Record<string, FileStamp>;
  const ids = presetIds();
  const published = publishedModels();
  const claimed = new Map<string, string>();
  const failures: string[] = [];
  for (const checkpoint of checkpointDirs.flatMap(listCheckpoints)) {
    const rel = relative(root, checkpoint);
    const id = archForCheckpoint(basename(checkpoint), ids, published);
    if (id === null) {
      console.log(`prepare-packs: skipping ${rel}: no model matches its name`);
      continue;
    }
    const first = claimed.get(id);
    if (first !== undefined) {
      console.log(`prepare-packs: skipping ${rel}: ${id} already comes from ${first}`);
      continue;
    }
    claimed.set(id, rel);
    const stat = statSync(checkpoint);
    const sha256 = cachedHash(cache[checkpoint], stat) ?? (await sha256File(checkpoint));
    cache[checkpoint] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256 };
    const state = packState(readJson(join(packsDir, id, 'model.json')), sha256, id);
    if (state.state === 'current') continue;
    const why = state.state === 'missing' ? 'no pack yet' : state.reason;
    console.log(`prepare-packs: converting ${rel} → models/packs/${id}/ (${why})`);
    const failure = convert(checkpoint, id);
    if (failure) {
      failures.push(`${id}: ${failure}`);
      console.warn(`prepare-packs: ${id}: ${failure}`);
    }
  }
  writeFileSync(cacheFile, JSON.stringify(cache, null, 2) + '\n');
  const index = writeIndex();
  const ms = Math.round(performance.now() - started);
  console.log(
    `prepare-packs: ${index.packs.length} pack(s) in models/packs/ (${index.packs.map((p) => p.id).join(', ') || 'none'}), ${ms} ms`,
  );
  return { failures, index };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const strict = process.argv.includes('--strict');
  const { failures } = await preparePacks();
  if (failures.length > 0) {
    console.warn(
      'prepare-packs: the models above run with synthetic weights until their conversion succeeds.',
    );
    if (strict) process.exitCode = 1;
  }
}
