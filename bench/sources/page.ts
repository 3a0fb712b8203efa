/**
 * What an input source costs a prediction: FD-MobileNet 0.5× (synthetic weights: the same
 * speed) on WASM, 1 thread, from dist/webnets.js as a page uses it, fed the same picture as a
 * tensor, an ImageData, a canvas and an ImageBitmap at camera-like sizes. The tensor's time is
 * the network plus preprocessing; the rest is what reading the source's pixels adds.
 */
import type * as Webnets from '../../src/index';
import { median } from '../../src/numeric';
import { picture } from '../lib/picture';

export interface SourceRow {
  size: string;
  source: string;
  medianMs: number;
}

async function run(sizes: [number, number][], runs: number): Promise<SourceRow[]> {
  const url = '/dist/webnets.js';
  const webnets = (await import(/* @vite-ignore */ url)) as typeof Webnets;
  const model = await webnets.load('fd-mobilenet-0.5x', {
    synthetic: true,
    backend: 'wasm',
    threads: 1,
  });
  const rows: SourceRow[] = [];
  try {
    for (const [width, height] of sizes) {
      const canvas = picture(width, height);
      const imageData = canvas.getContext('2d')?.getImageData(0, 0, width, height) as ImageData;
      const bitmap = await createImageBitmap(canvas);
      const tensor = webnets.tf.browser.fromPixels(imageData);
      const sources: [string, Parameters<typeof model.predict>[0]][] = [
        ['tensor', tensor],
        ['ImageData', imageData],
        ['HTMLCanvasElement', canvas],
        ['ImageBitmap', bitmap],
      ];
      for (const [name, source] of sources) {
        for (let i = 0; i < 5; i++) await model.predict(source);
        const ms: number[] = [];
        for (let i = 0; i < runs; i++) {
          const start = performance.now();
          await model.predict(source);
          ms.push(performance.now() - start);
        }
        rows.push({ size: `${width}×${height}`, source: name, medianMs: median(ms) });
      }
      tensor.dispose();
      bitmap.close();
    }
  } finally {
    model.dispose();
  }
  return rows;
}

(window as unknown as { sources: { run: typeof run } }).sources = { run };
