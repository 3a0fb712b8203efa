/**
 * A Y4M (YUV4MPEG2) video from an RGBA image: what Chromium's fake camera plays with
 * `--use-file-for-fake-video-capture`. The format is a text header and raw planar
 * YUV 4:2:0 frames, so the tests make it themselves (CI machines have no ffmpeg).
 */

/** BT.601 limited range ("studio swing"), as Chromium converts camera frames back to RGB. */
function yuv(r: number, g: number, b: number): [number, number, number] {
  return [
    16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
    128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255,
    128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255,
  ];
}

const clampByte = (x: number): number => Math.max(0, Math.min(255, Math.round(x)));

/** Planar I420: full-resolution Y, then U and V averaged over each 2×2 block. */
export function rgbaToI420(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  if (width % 2 !== 0 || height % 2 !== 0 || width <= 0 || height <= 0) {
    throw new Error(`y4m: 4:2:0 needs an even, positive width and height, got ${width}×${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new Error(
      `y4m: expected ${width * height * 4} RGBA bytes for ${width}×${height}, got ${rgba.length}`,
    );
  }
  const cw = width / 2;
  const out = new Uint8Array(width * height * 1.5);
  const uBase = width * height;
  const vBase = uBase + cw * (height / 2);
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let u = 0;
      let v = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = ((y + dy) * width + x + dx) * 4;
        const [Y, U, V] = yuv(rgba[p] as number, rgba[p + 1] as number, rgba[p + 2] as number);
        out[(y + dy) * width + x + dx] = clampByte(Y);
        u += U;
        v += V;
      }
      const c = (y / 2) * cw + x / 2;
      out[uBase + c] = clampByte(u / 4);
      out[vBase + c] = clampByte(v / 4);
    }
  }
  return out;
}

/** A still video: `frames` copies of the image at `fps` (Chromium loops the file). */
export function encodeY4m(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  { frames = 1, fps = 30 }: { frames?: number; fps?: number } = {},
): Uint8Array {
  const frame = rgbaToI420(rgba, width, height);
  const header = new TextEncoder().encode(
    `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`,
  );
  const marker = new TextEncoder().encode('FRAME\n');
  const out = new Uint8Array(header.length + frames * (marker.length + frame.length));
  out.set(header, 0);
  for (let i = 0, at = header.length; i < frames; i++) {
    out.set(marker, at);
    out.set(frame, at + marker.length);
    at += marker.length + frame.length;
  }
  return out;
}
