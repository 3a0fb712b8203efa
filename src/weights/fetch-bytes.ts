/**
 * Fetches a file's bytes with byte-level progress, and names the file in every error.
 *
 * The caller says how many bytes the file must have (a shard: the pack's record) or at
 * most (model.json); a response that announces or sends more is cut off at once, so a
 * misbehaving server cannot make the page allocate beyond what the pack declared. A file
 * of unknown size whose response announces its length (Content-Length, not encoded) is
 * read into one buffer of that length and must fill it exactly. A
 * download that receives nothing for `stallTimeout` ms (the response headers, then each
 * chunk) fails as stalled.
 */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/** How long a download may receive nothing before it fails (`load`'s `stallTimeout`). */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export interface FetchBytesOptions {
  fetch: FetchLike;
  signal?: AbortSignal;
  onChunk?: (bytes: number) => void;
  /** The file must be exactly this long. */
  bytes?: number;
  /** Or at most this long. */
  maxBytes?: number;
  /** Why `maxBytes` is the limit, for the error a longer file gets. */
  maxBytesReason?: string;
  /** ms without data before giving up; 0 or Infinity: wait forever. */
  stallTimeout?: number;
  /** Where to write a file of known size (`bytes`), avoiding a copy; a fresh array otherwise. */
  into?: Uint8Array;
}

class Stalled extends Error {}

/**
 * Resolves or rejects as `promise` does, unless `ms` pass first (rejects with Stalled) or
 * `signal` aborts (rejects with its reason). `onGiveUp` runs when either wins.
 */
function within<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
  onGiveUp: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer =
      ms > 0 && Number.isFinite(ms)
        ? setTimeout(() => {
            done();
            onGiveUp();
            reject(new Stalled());
          }, ms)
        : undefined;
    const aborted = () => {
      done();
      onGiveUp();
      reject(signal!.reason as Error);
    };
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
    };
    promise.then(
      (v) => {
        done();
        resolve(v);
      },
      (err: unknown) => {
        done();
        reject(err as Error);
      },
    );
    if (signal?.aborted) aborted();
    else signal?.addEventListener('abort', aborted);
  });
}

export async function fetchBytes(url: string, opts: FetchBytesOptions): Promise<Uint8Array> {
  const stallMs = opts.stallTimeout ?? DEFAULT_STALL_TIMEOUT_MS;
  const limit = opts.bytes ?? opts.maxBytes ?? Infinity;
  const controller = new AbortController();
  const giveUp = () => controller.abort();
  const fail = (err: unknown, received: number | null): Error => {
    const after = received === null ? '' : ` after ${received} bytes`;
    if (opts.signal?.aborted) return new Error(`${url}: download aborted${after}`, { cause: err });
    if (err instanceof Stalled) {
      return new Error(
        `${url}: no data for ${stallMs / 1000} s${after} (stalled server; the stallTimeout option sets this limit)`,
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return new Error(`${url}: download failed${after} (${message})`, { cause: err });
  };

  let response: Response;
  try {
    response = await within(
      opts.fetch(url, { signal: controller.signal }),
      stallMs,
      opts.signal,
      giveUp,
    );
  } catch (err) {
    throw fail(err, null);
  }
  if (!response.ok) {
    giveUp();
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (!response.body) {
    // Fetch implementations without streams: the whole body, then the same checks.
    const whole = new Uint8Array(await response.arrayBuffer());
    return checkLength(url, whole, opts.bytes, limit, opts.onChunk);
  }
  const announced = announcedLength(response);
  if (opts.bytes === undefined && announced !== null && announced > limit) {
    giveUp();
    throw tooLong(url, limit, opts, announced);
  }
  const reader = response.body.getReader();
  let buffer = opts.into ?? new Uint8Array(opts.bytes ?? announced ?? Math.min(limit, 1 << 16));
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await within(reader.read(), stallMs, opts.signal, giveUp);
      if (done) break;
      if (length + value.length > limit) throw tooLong(url, limit, opts);
      if (length + value.length > buffer.length) {
        const grown = new Uint8Array(
          Math.min(limit, Math.max(2 * buffer.length, length + value.length)),
        );
        grown.set(buffer.subarray(0, length));
        buffer = grown;
      }
      buffer.set(value, length);
      length += value.length;
      opts.onChunk?.(value.length);
    }
  } catch (err) {
    giveUp();
    void reader.cancel().catch(() => undefined);
    if (err instanceof Error && err.message.startsWith(`${url}: `)) throw err;
    throw fail(err, length);
  }
  if (opts.bytes === undefined && announced !== null && length !== announced) {
    throw new Error(
      `${url}: received ${length} of the ${announced} bytes its Content-Length announced (truncated)`,
    );
  }
  return checkLength(url, buffer.subarray(0, length), opts.bytes, limit);
}

/** The body's length as the response announces it, when it is the bytes that arrive. */
function announcedLength(response: Response): number | null {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return null;
  const value = response.headers.get('content-length');
  const length = value === null || !/^\d+$/.test(value.trim()) ? NaN : Number(value);
  return Number.isSafeInteger(length) ? length : null;
}

function tooLong(
  url: string,
  limit: number,
  opts: Pick<FetchBytesOptions, 'bytes' | 'maxBytesReason'>,
  announced?: number,
): Error {
  const which =
    opts.bytes !== undefined
      ? 'the size model.json declares (wrong file or a misbehaving server)'
      : (opts.maxBytesReason ?? 'the most this file may have (wrong file or a misbehaving server)');
  const sent = announced === undefined ? 'sent' : `announces ${announced} bytes,`;
  return new Error(`${url}: the server ${sent} more than ${limit} bytes, ${which}`);
}

function checkLength(
  url: string,
  bytes: Uint8Array,
  expected: number | undefined,
  limit: number,
  onChunk?: (bytes: number) => void,
): Uint8Array {
  if (bytes.length > limit) throw tooLong(url, limit, { bytes: expected });
  if (expected !== undefined && bytes.length !== expected) {
    throw new Error(
      `${url}: ${bytes.length} bytes, expected ${expected} (truncated or wrong file)`,
    );
  }
  onChunk?.(bytes.length);
  return bytes;
}
