/**
 * Downloads a preset's published checkpoint (Node), verifying the hash its source
 * publishes: the full sha256 where there is one (FD-MobileNet), else torch.hub's
 * sha256 prefix in the file name (torchvision). The file is streamed to a temporary name
 * and renamed only once verified, so an interrupted or corrupt download leaves nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import type { PretrainedEntry } from '../models/pretrained';
import { pretrainedFor, pretrainedIds } from '../models/pretrained';

export interface FetchedCheckpoint {
  id: string;
  entry: PretrainedEntry;
  path: string;
  sha256: string;
  downloaded: boolean;
  /** Whether the publisher gives a hash it was checked against (FD-MobileNet 1×'s has none). */
  verified: boolean;
}

function publishesHash(entry: PretrainedEntry): boolean {
  return entry.sha256 !== null || entry.sha256Prefix !== null;
}

export function checkpointUrl(entry: PretrainedEntry, baseUrl?: string): string {
  return baseUrl ? `${baseUrl.replace(/\/+$/, '')}/${entry.file}` : entry.url;
}

/** Throws unless `sha256` matches what the entry's source publishes. */
export function verifyPublishedHash(entry: PretrainedEntry, sha256: string, what: string): void {
  if (entry.sha256 && sha256 !== entry.sha256) {
    throw new Error(`${what}: sha256 ${sha256} does not match the published ${entry.sha256}`);
  }
  if (entry.sha256Prefix && !sha256.startsWith(entry.sha256Prefix)) {
    throw new Error(
      `${what}: sha256 ${sha256} does not start with the published prefix ${entry.sha256Prefix}`,
    );
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export function lookupPretrained(id: string): PretrainedEntry {
  const entry = pretrainedFor(id);
  if (!entry) {
    throw new Error(
      `no published checkpoint is known for '${id}'. Models with one: ${pretrainedIds().join(', ')}`,
    );
  }
  return entry;
}

export async function fetchCheckpoint(
  id: string,
  opts: { baseUrl?: string; dir: string; onProgress?: (loaded: number, total: number) => void },
): Promise<FetchedCheckpoint> {
  const entry = lookupPretrained(id);
  const path = join(opts.dir, entry.file);
  if (existsSync(path)) {
    const sha256 = await sha256File(path);
    try {
      verifyPublishedHash(entry, sha256, path);
      return { id, entry, path, sha256, downloaded: false, verified: publishesHash(entry) };
    } catch {
      await rm(path); // a stale or corrupt copy: fetch again
    }
  }
  const url = checkpointUrl(entry, opts.baseUrl);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`${url}: download failed (${(err as Error).message})`, { cause: err });
  }
  if (!response.ok || !response.body)
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  const total = Number(response.headers.get('content-length') ?? 0);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.part-${process.pid}`;
  const hash = createHash('sha256');
  let loaded = 0;
  try {
    const body = Readable.fromWeb(response.body as unknown as NodeWebStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      loaded += chunk.length;
      opts.onProgress?.(loaded, total);
    });
    await pipeline(body, createWriteStream(tmp));
    if (total && loaded !== total)
      throw new Error(`${url}: received ${loaded} of ${total} bytes (truncated)`);
    const sha256 = hash.digest('hex');
    verifyPublishedHash(entry, sha256, url);
    await rename(tmp, path);
    return { id, entry, path, sha256, downloaded: true, verified: publishesHash(entry) };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
