/**
 * A `fetch` for local files (Node), so the browser-side loader can read packs from disk
 * in the CLI and tests: `file:` URLs and plain paths; anything else goes to global fetch.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { FetchLike } from '../weights/fetch-bytes';

export const fileFetch: FetchLike = async (url, init) => {
  if (!url.startsWith('file:')) return globalThis.fetch(url, init);
  try {
    const bytes = await readFile(fileURLToPath(url));
    return new Response(bytes, { status: 200 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return new Response(null, {
      status: code === 'ENOENT' ? 404 : 500,
      statusText: code === 'ENOENT' ? 'Not Found' : String(code),
    });
  }
};

/** A pack location as the loader wants it: URLs pass through, paths become file: URLs. */
export function packUrl(location: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location;
  const path = location.endsWith('.json') ? location : `${location.replace(/\/+$/, '')}/model.json`;
  return pathToFileURL(path).href;
}
