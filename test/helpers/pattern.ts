/**
 * The synthetic images of test/fixtures/preprocess/pillow.json, computed as
 * tools/reference/make_pillow_fixtures.py computes them (32-bit integer arithmetic): a
 * gradient per channel, a checkerboard with hard edges, hashed noise.
 */
import { createHash } from 'node:crypto';

/** uint8 RGB [height, width, 3], row-major. */
export function pattern(height: number, width: number, seed: number): Uint8Array {
  const out = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let h =
          (Math.imul(x, 374761393) + Math.imul(y, 668265263) + Math.imul(c, 2246822519) + seed) | 0;
        h = Math.imul(h ^ (h >>> 13), 1274126177);
        h ^= h >>> 16;
        const noise = (h & 63) - 32;
        const base =
          c === 0
            ? Math.floor((x * 255) / Math.max(width - 1, 1))
            : c === 1
              ? Math.floor((y * 255) / Math.max(height - 1, 1))
              : ((Math.floor(x / 7) + Math.floor(y / 5)) % 2) * 255;
        out[(y * width + x) * 3 + c] = Math.min(255, Math.max(0, base + noise));
      }
    }
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** RGB bytes as a canvas holds them: 4 bytes a pixel, alpha arbitrary (ignored). */
export function toRgba(rgb: Uint8Array): Uint8Array {
  const n = rgb.length / 3;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = rgb[i * 3]!;
    rgba[i * 4 + 1] = rgb[i * 3 + 1]!;
    rgba[i * 4 + 2] = rgb[i * 3 + 2]!;
    rgba[i * 4 + 3] = (i * 37) % 256;
  }
  return rgba;
}
