/**
 * Sources crossing to the model's worker. The caller's objects stay usable (pages reuse an
 * ImageData, a canvas or a bitmap frame after frame), so what crosses is a copy or a new
 * handle that webnets owns, made as cheaply as the browser allows (measured with
 * `npm run bench:worker`, see bench/README.md):
 * - a <video> crosses as a VideoFrame of its current frame (no pixel copy on the page) and a
 *   VideoFrame as a clone (a second handle on the same frame): the worker reads them;
 * - an ImageData's bytes and a tensor's values are copied into a buffer that goes to the
 *   worker and comes back with the answer, to be filled again by the next call: copying into
 *   memory already in use costs a fraction of a fresh allocation (or of postMessage's clone);
 * - an ImageBitmap crosses as a new bitmap of the same image (createImageBitmap shares the
 *   pixels); canvases are snapshotted the same way; an <img> is decoded into one (as on the
 *   main thread, which makes the same bitmap), and a <video> without VideoFrame support too.
 */
import type { CheckedSource, ImageSource } from '../source';
import { decodeOptions, describeSource } from '../source';
import { tf } from '../../tf';

export type WireSource =
  | { kind: 'ImageBitmap'; bitmap: ImageBitmap }
  | { kind: 'VideoFrame'; frame: VideoFrame }
  | { kind: 'ImageData'; buffer: ArrayBuffer; width: number; height: number }
  | {
      kind: 'tensor';
      buffer: ArrayBuffer;
      shape: [number, number, number];
      dtype: 'int32' | 'float32';
    };

export interface OutgoingSource {
  wire: WireSource;
  /** Objects to transfer with the message (handles and buffers webnets made, never the caller's). */
  transfer: Transferable[];
  /** Frees what was made for the message if it could not be sent. */
  discard: () => void;
}

const nothing = (): void => undefined;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

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
      `${describeSource(source)} could not be copied into an ImageBitmap to send to the worker (${describe(err)}): pass its pixels as an ImageData or a tensor instead (scaled down if it is too large)`,
      { cause: err },
    );
  }
  return {
    wire: { kind: 'ImageBitmap', bitmap },
    transfer: [bitmap],
    discard: () => bitmap.close(),
  };
}

function frameOf(frame: VideoFrame): OutgoingSource {
  return { wire: { kind: 'VideoFrame', frame }, transfer: [frame], discard: () => frame.close() };
}

/** The video's current frame as a VideoFrame where the browser can make one, else a bitmap. */
function videoOf(video: HTMLVideoElement): Promise<OutgoingSource> {
  if (typeof VideoFrame === 'function') {
    try {
      return Promise.resolve(frameOf(new VideoFrame(video)));
    } catch {
      // This browser's VideoFrame does not take a <video>: a bitmap does.
    }
  }
  return bitmapOf('HTMLVideoElement', video);
}

/** `bytes` bytes to send: the spare buffer when it is large enough, else a new one. */
function bufferFor(bytes: number, spare: ArrayBuffer | null): ArrayBuffer {
  return spare !== null && spare.byteLength >= bytes ? spare : new ArrayBuffer(bytes);
}

/**
 * A checked source (source.ts's checkSource) as it crosses to the worker. `spare` is the
 * buffer the worker gave back with its last answer (or null); it is transferred again.
 */
export async function toWire(
  checked: CheckedSource,
  spare: ArrayBuffer | null,
): Promise<OutgoingSource> {
  switch (checked.kind) {
    case 'tensor': {
      const tensor = checked.source;
      const values = (await tensor.data()) as Int32Array | Float32Array;
      const buffer = bufferFor(values.byteLength, spare);
      const dtype = tensor.dtype as 'int32' | 'float32';
      new (dtype === 'int32' ? Int32Array : Float32Array)(buffer, 0, values.length).set(values);
      const wire: WireSource = { kind: 'tensor', buffer, shape: tensor.shape, dtype };
      return { wire, transfer: [buffer], discard: nothing };
    }
    case 'ImageData': {
      const { data, width, height } = checked.source;
      const buffer = bufferFor(data.byteLength, spare);
      new Uint8ClampedArray(buffer, 0, data.length).set(data);
      return {
        wire: { kind: 'ImageData', buffer, width, height },
        transfer: [buffer],
        discard: nothing,
      };
    }
    case 'VideoFrame':
      return frameOf(checked.source.clone());
    case 'HTMLVideoElement':
      return videoOf(checked.source);
    default:
      return bitmapOf(checked.kind, checked.source);
  }
}

/** What the worker hands its model, and how to free it after the call. */
export interface IncomingSource {
  source: ImageSource;
  release: () => void;
  /** The buffer the source was sent in, to give back with the answer (then reused). */
  buffer: ArrayBuffer | null;
}

export function fromWire(wire: WireSource): IncomingSource {
  switch (wire.kind) {
    case 'tensor': {
      const size = wire.shape[0] * wire.shape[1] * wire.shape[2];
      const values = new (wire.dtype === 'int32' ? Int32Array : Float32Array)(wire.buffer, 0, size);
      const tensor = tf.tensor3d(values, wire.shape, wire.dtype);
      return { source: tensor, release: () => tensor.dispose(), buffer: wire.buffer };
    }
    case 'ImageData': {
      const bytes = new Uint8ClampedArray(wire.buffer, 0, wire.width * wire.height * 4);
      const source = new ImageData(bytes, wire.width, wire.height);
      return { source, release: nothing, buffer: wire.buffer };
    }
    case 'VideoFrame':
      return { source: wire.frame, release: () => wire.frame.close(), buffer: null };
    case 'ImageBitmap':
      return { source: wire.bitmap, release: () => wire.bitmap.close(), buffer: null };
  }
}
