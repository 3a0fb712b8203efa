/**
 * Fetches a file's bytes with byte-level progress, and names the file in every error.
 */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export async function fetchBytes(
  url: string,
  opts: { fetch: FetchLike; signal?: AbortSignal; onChunk?: (bytes: number) => void },
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await opts.fetch(url, opts.signal ? { signal: opts.signal } : undefined);
  } catch (err) {
    throw new Error(`${url}: ${describeFailure(err, opts.signal)}`, { cause: err });
  }
  if (!response.ok)
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    opts.onChunk?.(bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
      opts.onChunk?.(value.length);
    }
  } catch (err) {
    throw new Error(`${url}: ${describeFailure(err, opts.signal)} after ${length} bytes`, {
      cause: err,
    });
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function describeFailure(err: unknown, signal?: AbortSignal): string {
  if (signal?.aborted) return 'download aborted';
  return `download failed (${err instanceof Error ? err.message : String(err)})`;
}
