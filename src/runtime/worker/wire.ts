/**
 * Sources crossing to the model's worker. The caller's objects stay usable (pages reuse an
 * ImageData, a canvas or a bitmap frame after frame), so what crosses is a copy or a new
 * handle that webnets owns:
 * - ImageData and tensors' values are copied by postMessage (structured clone);
 * - a VideoFrame crosses as a clone (a second handle on the same frame, no pixel copy): the
 *   worker reads it into an ImageBitmap there, off the page's thread, and closes its clone;
 * - an ImageBitmap crosses as a new bitmap of the same image (createImageBitmap shares the
 *   pixels), transferred; the caller's bitmap stays open;
 * - elements (<img>, <video>, <canvas>) and OffscreenCanvas cannot cross: they become an
 *   ImageBitmap on the page's thread first (the one step of a call that stays there), which
 *   is transferred.
 */
import type { CheckedSource, ImageSource } from '../source';
import { decodeOptions } from '../source';
import { tf } from '../../tf';

export type WireSource =
  | { kind: 'ImageBitmap'; bitmap: ImageBitmap }
  | { kind: 'ImageData'; imageData: ImageData }
  | { kind: 'VideoFrame'; frame: VideoFrame }
  | {
      kind: 'tensor';
      shape: [number, number, number];
      dtype: 'int32' | 'float32';
      values: Int32Array | Float32Array;
    };

export interface OutgoingSource {
  wire: WireSource;
  /** Objects to transfer with the message (handles webnets made, never the caller's). */
  transfer: Transferable[];
  /** Frees what was made for the message if it could not be sent. */
  discard: () => void;
}

const nothing = (): void => undefined;

async function bitmapOf(
  kind: CheckedSource['kind'],
  source: ImageBitmapSource,
): Promise<OutgoingSource> {
  let bitmap: ImageBitmap;
  try {
    // An <img> is decoded as the main thread decodes it; other sources are copied as they are.
    bitmap = await createImageBitmap(
      source,
      kind === 'HTMLImageElement' ? decodeOptions : undefined,
    );
  } catch (err) {
    throw new Error(
      `the ${kind} could not be copied into an ImageBitmap to send to the worker (${err instanceof Error ? err.message : String(err)}): pass its pixels as an ImageData or a tensor instead`,
      { cause: err },
    );
  }
  return {
    wire: { kind: 'ImageBitmap', bitmap },
    transfer: [bitmap],
    discard: () => bitmap.close(),
  };
}

/** A checked source (source.ts's checkSource) as it crosses to the worker. */
export async function toWire(checked: CheckedSource): Promise<OutgoingSource> {
  switch (checked.kind) {
    case 'tensor': {
      const tensor = checked.source;
      const values = (await tensor.data()) as Int32Array | Float32Array;
      const dtype = tensor.dtype as 'int32' | 'float32';
      return {
        wire: { kind: 'tensor', shape: tensor.shape, dtype, values },
        transfer: [],
        discard: nothing,
      };
    }
    case 'ImageData':
      return {
        wire: { kind: 'ImageData', imageData: checked.source },
        transfer: [],
        discard: nothing,
      };
    case 'VideoFrame': {
      const frame = checked.source.clone();
      return {
        wire: { kind: 'VideoFrame', frame },
        transfer: [frame],
        discard: () => frame.close(),
      };
    }
    default:
      return bitmapOf(checked.kind, checked.source);
  }
}

/** What the worker hands its model, and how to free it after the call. */
export function fromWire(wire: WireSource): { source: ImageSource; release: () => void } {
  switch (wire.kind) {
    case 'tensor': {
      const tensor = tf.tensor3d(wire.values, wire.shape, wire.dtype);
      return { source: tensor, release: () => tensor.dispose() };
    }
    case 'ImageData':
      return { source: wire.imageData, release: nothing };
    case 'VideoFrame':
      return { source: wire.frame, release: () => wire.frame.close() };
    case 'ImageBitmap':
      return { source: wire.bitmap, release: () => wire.bitmap.close() };
  }
}
