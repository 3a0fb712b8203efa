/**
 * The conversion worker's side (dist/webnets-convert.js): converts one checkpoint with the
 * converter `webnets convert` runs (src/convert/convert-bytes.ts) and sends the pack back,
 * its buffer transferred; says it is alive every HEARTBEAT_MS meanwhile (protocol.ts).
 */
import { convertCheckpointBytes } from '../../convert/convert-bytes';
import { getSpec } from '../../models/presets';
import { toWireError } from '../worker/protocol';
import type { ConvertReply, ConvertRequest } from './protocol';
import { HEARTBEAT_MS } from './protocol';

export interface ConvertEndpoint {
  postMessage(message: ConvertReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ConvertRequest>) => void): void;
}

export function serveConversion(endpoint: ConvertEndpoint): void {
  endpoint.addEventListener('message', ({ data: request }) => {
    const { job, bytes } = request;
    let said = -Infinity;
    const alive = (): void => {
      const now = performance.now();
      if (now - said < HEARTBEAT_MS) return;
      said = now;
      endpoint.postMessage({ type: 'alive' });
    };
    alive();
    const timer = setInterval(alive, HEARTBEAT_MS);
    convertCheckpointBytes(new Uint8Array(bytes), {
      spec: getSpec(job.id),
      ...job,
      onTensor: alive,
    })
      .then(({ manifest, data }) => {
        const buffer =
          data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
            ? (data.buffer as ArrayBuffer)
            : (data.slice().buffer as ArrayBuffer);
        endpoint.postMessage({ type: 'converted', manifest, data: buffer }, [buffer]);
      })
      .catch((err: unknown) => endpoint.postMessage({ type: 'failed', error: toWireError(err) }))
      .finally(() => clearInterval(timer));
  });
}
