/**
 * Converting a checkpoint off the page's thread: a dedicated module worker
 * (dist/webnets-convert.js, src/convert-worker.ts) gets the checkpoint's buffer
 * (transferred: the page stops holding it) and gives back the pack's. One worker per
 * conversion, ended when it answers, fails or the load is aborted.
 */
import type { BuiltPack } from '../../convert/pack-build';
import { fromWireError } from '../worker/protocol';
import type { ConvertJob, ConvertReply, ConvertRequest } from './protocol';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const notLoaded =
  'the conversion worker webnets-convert.js could not be loaded (a 404, a wrong MIME type, a network or syntax error): serve it next to webnets.js (`npm run build` writes dist/webnets-convert.js), or bundle webnets with your app so the bundler emits it';

/**
 * The worker, started from the script next to this module, in the form Vite, webpack 5
 * and Parcel follow to bundle a worker with an app (see worker/client.ts); vite.config.ts
 * removes `@vite-ignore` from dist/webnets.js and checks the form is there.
 */
function startWorker(): Worker {
  try {
    return new Worker(new URL(/* @vite-ignore */ './webnets-convert.js', import.meta.url), {
      type: 'module',
    });
  } catch (err) {
    throw new Error(
      `the browser refused to start the conversion worker webnets-convert.js (${messageOf(err)}): serve webnets.js and webnets-convert.js from the page's origin, or bundle webnets with your app`,
      { cause: err },
    );
  }
}

/** The `bytes` as a buffer of their own, to transfer. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

export interface ConvertInWorkerOptions {
  signal?: AbortSignal;
  /** Ms the worker may stay silent (no heartbeat, no answer) before it counts as dead; 0: no limit. */
  silenceLimit: number;
}

/**
 * Converts in a fresh worker. A worker that dies without an `error` event (ended from
 * outside, closed, a crashed or out-of-memory thread) goes silent: after `silenceLimit`
 * ms without a heartbeat the promise rejects, naming the preset and file.
 */
export function convertInWorker(
  bytes: Uint8Array,
  job: ConvertJob,
  opts: ConvertInWorkerOptions,
): Promise<BuiltPack> {
  const { signal, silenceLimit } = opts;
  const what = `converting ${job.file} for load('${job.id}')`;
  return new Promise<BuiltPack>((resolve, reject) => {
    signal?.throwIfAborted();
    const worker = startWorker();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const end = (): void => {
      clearTimeout(watchdog);
      worker.terminate();
      signal?.removeEventListener('abort', abort);
    };
    const fail = (err: Error): void => {
      end();
      reject(err);
    };
    const abort = (): void => fail(signal!.reason as Error);
    const rearm = (): void => {
      if (silenceLimit <= 0) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(
        () =>
          fail(
            new Error(
              `the conversion worker stopped answering while ${what}: no word from it for ${silenceLimit / 1000} s (ended from outside, crashed or out of memory); nothing was cached, and the next load starts a new worker`,
            ),
          ),
        silenceLimit,
      );
    };
    signal?.addEventListener('abort', abort, { once: true });
    worker.addEventListener('message', ({ data: reply }: MessageEvent<ConvertReply>) => {
      if (reply.type === 'alive') return rearm();
      end();
      if (reply.type === 'converted') {
        resolve({ manifest: reply.manifest, data: new Uint8Array(reply.data) });
      } else {
        reject(fromWireError(reply.error));
      }
    });
    worker.addEventListener('messageerror', () =>
      fail(
        new Error(`the conversion worker's answer could not be read (messageerror) while ${what}`),
      ),
    );
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      const message = (event as ErrorEvent).message;
      fail(
        new Error(
          typeof message === 'string' && message !== ''
            ? `the conversion worker failed while ${what} (${message})`
            : notLoaded,
        ),
      );
    });
    rearm();
    const buffer = ownBuffer(bytes);
    const request: ConvertRequest = { type: 'convert', job, bytes: buffer };
    worker.postMessage(request, [buffer]);
  });
}
