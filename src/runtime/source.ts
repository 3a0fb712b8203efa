/**
 * What `classify`, `predict` and `embed` accept, checked and turned into pixels.
 *
 * A source that cannot give pixels (a video before its first frame, a zero-sized canvas,
 * a closed ImageBitmap or VideoFrame, a tensor of the wrong shape) is refused with an
 * Error saying what was wrong and what is expected; nothing is left allocated, so the
 * model serves the next call as usual.
 *
 * Pixel sources are read as RGBA bytes (preprocessing resamples 8-bit pixels as Pillow
 * does). ImageData is read as it is; images and VideoFrames first become an ImageBitmap
 * (an <img> at its natural size); canvases, bitmaps and video frames are drawn onto
 * webnets' own 2-D readback context when the call runs, whatever their context type. A
 * copy into an ImageBitmap first was half of a canvas's cost on WASM (bench/RESULTS.md).
 */
import { tf } from '../tf';

/** Anything a model can look at. Tensors are HWC RGB, int32 or float32, values 0–255. */
export type ImageSource =
  | HTMLImageElement
  | HTMLVideoElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageBitmap
  | ImageData
  | VideoFrame
  | tf.Tensor3D;

type PixelInput = ImageData | HTMLVideoElement | ImageBitmap;
type Canvas = HTMLCanvasElement | OffscreenCanvas;

/** A checked source, ready to become a tensor synchronously on the model's backend. */
export type PreparedSource =
  | { kind: 'pixels'; pixels: PixelInput | Canvas; release: () => void }
  | { kind: 'tensor'; tensor: tf.Tensor3D }
  /** A tensor source's values, read ahead for the JavaScript resampling (`readableInput`). */
  | { kind: 'rgb'; data: Uint8ClampedArray; height: number; width: number };

const accepted =
  'an HTMLImageElement, HTMLVideoElement, HTMLCanvasElement, OffscreenCanvas, ImageBitmap, ImageData, VideoFrame, or an HWC tensor [height, width, 3] of 0–255 RGB';

function isInstance<T>(value: unknown, name: string): value is T {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && value instanceof (ctor as new () => unknown);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

const videoStates = ['HAVE_NOTHING', 'HAVE_METADATA', 'HAVE_CURRENT_DATA', 'HAVE_FUTURE_DATA'];

function checkVideo(video: HTMLVideoElement): void {
  if (video.readyState < 2) {
    const state = videoStates[video.readyState] ?? String(video.readyState);
    throw new Error(
      `the HTMLVideoElement is not ready (readyState ${video.readyState}, ${state}): expected readyState ≥ 2 (HAVE_CURRENT_DATA); wait for its 'loadeddata' event`,
    );
  }
  if (video.videoWidth === 0 || video.videoHeight === 0) {
    throw new Error(
      `the HTMLVideoElement has no picture (videoWidth × videoHeight = ${video.videoWidth} × ${video.videoHeight}): expected a video track with a frame`,
    );
  }
}

function checkSize(what: string, width: number, height: number, hint: string): void {
  if (width === 0 || height === 0) {
    throw new Error(`the ${what} is ${width} × ${height} pixels: ${hint}`);
  }
}

function checkTensor(tensor: tf.Tensor): asserts tensor is tf.Tensor3D {
  const shape = `[${tensor.shape.join(', ')}]`;
  if (tensor.isDisposed) {
    throw new Error(`the input tensor is disposed: expected a live HWC tensor [height, width, 3]`);
  }
  if (tensor.rank !== 3 || tensor.shape[2] !== 3) {
    throw new Error(
      `the input tensor has shape ${shape} (rank ${tensor.rank}): expected an HWC tensor [height, width, 3] of 0–255 RGB`,
    );
  }
  if (tensor.dtype !== 'int32' && tensor.dtype !== 'float32') {
    throw new Error(`the input tensor has dtype ${tensor.dtype}: expected int32 or float32, 0–255`);
  }
  if (tensor.shape[0] === 0 || tensor.shape[1] === 0) {
    throw new Error(`the input tensor has shape ${shape}: expected height and width ≥ 1`);
  }
}

/**
 * How images and VideoFrames become bitmaps, here and for worker mode (wire.ts): as Pillow
 * reads files, no ICC colour conversion, colours not premultiplied by alpha.
 */
export const decodeOptions: ImageBitmapOptions = {
  colorSpaceConversion: 'none',
  premultiplyAlpha: 'none',
};

/**
 * A source whose pixels the browser could not hand out (too large to decode or allocate,
 * most often): the model's call names it and keeps working.
 */
export class SourceReadError extends Error {
  override name = 'SourceReadError';
}

/** The start of a URL for a message: data: URLs can be megabytes long. */
function shortUrl(url: string): string {
  return url.length > 80 ? `${url.slice(0, 77)}…` : url;
}

/** A source's type, size and (for an image) URL, as messages name it. */
export function describeSource(source: unknown): string {
  const type = typeName(source);
  const s = source as Partial<HTMLImageElement & HTMLVideoElement & VideoFrame>;
  const [width, height] =
    s.naturalWidth !== undefined
      ? [s.naturalWidth, s.naturalHeight]
      : s.videoWidth !== undefined
        ? [s.videoWidth, s.videoHeight]
        : s.displayWidth !== undefined
          ? [s.displayWidth, s.displayHeight]
          : [s.width, s.height];
  const url = s.currentSrc || s.src;
  const megabytes = ((width ?? 0) * (height ?? 0) * 4) / 2 ** 20;
  return (
    `the ${type} (${url ? `${shortUrl(url)}, ` : ''}${width} × ${height} pixels, ` +
    `${megabytes < 10 ? megabytes.toPrecision(2) : Math.round(megabytes)} MiB as RGBA)`
  );
}

/** The error for a source whose pixels could not be read. */
function unreadable(source: unknown, err: unknown): SourceReadError {
  return new SourceReadError(
    `${describeSource(source)} could not be read (${err instanceof Error ? err.message : String(err)}): ` +
      'expected an image the browser can decode and hold in memory; scale it down first',
    { cause: err },
  );
}

async function toBitmap(
  source: HTMLImageElement | VideoFrame,
): Promise<{ kind: 'pixels'; pixels: ImageBitmap; release: () => void }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source, decodeOptions);
  } catch (err) {
    throw unreadable(source, err);
  }
  return { kind: 'pixels', pixels: bitmap, release: () => bitmap.close() };
}

const noRelease = (): void => undefined;

/**
 * A source that passed its checks, tagged with its type. Model calls turn it into pixels
 * (prepareSource); worker mode turns it into something that crosses to the worker
 * (src/runtime/worker/wire.ts), with the same checks and messages.
 */
export type CheckedSource =
  | { kind: 'tensor'; source: tf.Tensor3D }
  | { kind: 'HTMLVideoElement'; source: HTMLVideoElement }
  | { kind: 'ImageData'; source: ImageData }
  | { kind: 'ImageBitmap'; source: ImageBitmap }
  | { kind: 'HTMLImageElement'; source: HTMLImageElement }
  | { kind: 'HTMLCanvasElement'; source: HTMLCanvasElement }
  | { kind: 'OffscreenCanvas'; source: OffscreenCanvas }
  | { kind: 'VideoFrame'; source: VideoFrame };

/** Checks a source can give pixels. Throws an Error naming what was wrong and what is expected. */
export function checkSource(source: unknown): CheckedSource {
  if (source instanceof tf.Tensor) {
    checkTensor(source);
    return { kind: 'tensor', source };
  }
  if (isInstance<HTMLVideoElement>(source, 'HTMLVideoElement')) {
    checkVideo(source);
    return { kind: 'HTMLVideoElement', source };
  }
  if (isInstance<ImageData>(source, 'ImageData')) {
    checkSize('ImageData', source.width, source.height, 'expected width and height ≥ 1');
    return { kind: 'ImageData', source };
  }
  if (isInstance<ImageBitmap>(source, 'ImageBitmap')) {
    checkSize(
      'ImageBitmap',
      source.width,
      source.height,
      'it was closed or transferred (or is empty); expected an open ImageBitmap with pixels',
    );
    return { kind: 'ImageBitmap', source };
  }
  if (isInstance<HTMLImageElement>(source, 'HTMLImageElement')) {
    if (!source.complete || source.naturalWidth === 0) {
      throw new Error(
        `the HTMLImageElement is not loaded (complete: ${source.complete}, naturalWidth: ${source.naturalWidth}, src: ${source.currentSrc || source.src || "''"}): expected a decoded image; await img.decode() first`,
      );
    }
    return { kind: 'HTMLImageElement', source };
  }
  if (isInstance<HTMLCanvasElement>(source, 'HTMLCanvasElement')) {
    checkCanvas('HTMLCanvasElement', source);
    return { kind: 'HTMLCanvasElement', source };
  }
  if (isInstance<OffscreenCanvas>(source, 'OffscreenCanvas')) {
    checkCanvas('OffscreenCanvas', source);
    return { kind: 'OffscreenCanvas', source };
  }
  if (isInstance<VideoFrame>(source, 'VideoFrame')) {
    if (source.format === null || source.displayWidth === 0) {
      throw new Error(
        'the VideoFrame is closed: expected an open VideoFrame (close it after the call)',
      );
    }
    return { kind: 'VideoFrame', source };
  }
  if (typeof source === 'object' && source !== null && 'dataId' in source && 'shape' in source) {
    throw new Error(
      "the input tensor comes from another copy of tfjs: create it with webnets' own `tf` export",
    );
  }
  throw new Error(`got ${typeName(source)}: expected ${accepted}`);
}

function checkCanvas(name: string, canvas: Canvas): void {
  checkSize(name, canvas.width, canvas.height, 'expected a canvas with width and height ≥ 1');
}

/**
 * Checks a source and, where needed, converts it to something read exactly (an ImageBitmap).
 * Throws an Error naming what was wrong and what is expected.
 */
export async function prepareSource(source: unknown): Promise<PreparedSource> {
  const checked = checkSource(source);
  switch (checked.kind) {
    case 'tensor':
      return { kind: 'tensor', tensor: checked.source };
    case 'HTMLImageElement':
    case 'VideoFrame':
      return toBitmap(checked.source);
    default:
      return { kind: 'pixels', pixels: checked.source, release: noRelease };
  }
}

let readback: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null = null;

/** A 2-D context kept for reading pixels back, as tfjs' fromPixels keeps one. */
function readbackContext(): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  if (readback) return readback;
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(1, 1)
      : document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true }) as
    OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!context) throw new Error('no 2D canvas context to read the pixels with');
  readback = context;
  return context;
}

/** The pixels a source holds, as a canvas hands them out (RGBA bytes). */
export function imageDataOf(pixels: PixelInput | Canvas): ImageData {
  if (isInstance<ImageData>(pixels, 'ImageData')) return pixels;
  const [width, height] = isInstance<HTMLVideoElement>(pixels, 'HTMLVideoElement')
    ? [pixels.videoWidth, pixels.videoHeight]
    : [pixels.width, pixels.height];
  const context = readbackContext();
  try {
    if (context.canvas.width !== width || context.canvas.height !== height) {
      context.canvas.width = width;
      context.canvas.height = height;
    }
    context.drawImage(pixels, 0, 0, width, height);
    return context.getImageData(0, 0, width, height);
  } catch (err) {
    // The readback canvas lets go of what it could not hold.
    context.canvas.width = 1;
    context.canvas.height = 1;
    throw unreadable(pixels, err);
  }
}

/**
 * A pixels source (not a tensor) as packed RGBA bytes: [1, H, W, 1] int32, each element one
 * pixel's R, G, B, A, copied once into the backend (call inside tf.tidy). The same pixels
 * fromPixels reads, without its per-pixel JavaScript unpacking to int32 RGB, which took
 * longer for a camera frame than FD-MobileNet's inference (bench/RESULTS.md).
 */
export function rgbaOf(prepared: Extract<PreparedSource, { kind: 'pixels' }>): tf.Tensor4D {
  const { data, width, height } = imageDataOf(prepared.pixels);
  // An Int32Array view needs a 4-byte aligned start; a view into another buffer may lack one.
  const bytes = data.byteOffset % 4 === 0 ? data : new Uint8ClampedArray(data);
  const packed = new Int32Array(bytes.buffer, bytes.byteOffset, width * height);
  return tf.tensor4d(packed, [1, height, width, 1], 'int32');
}

export function releaseSource(prepared: PreparedSource): void {
  if (prepared.kind === 'pixels') prepared.release();
}
