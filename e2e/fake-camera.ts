/**
 * The fake camera for the demo's browser tests: a Y4M video of /work/shared/images/chelsea.png
 * for Chromium's `--use-file-for-fake-video-capture`. The PNG is decoded by Chromium
 * itself (a canvas in a blank page), so no image library or ffmpeg is needed.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Browser, PlaywrightWorkerArgs } from '@playwright/test';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../playwright.config';
import { encodeY4m } from './y4m';

export const sharedDir = process.env.WEBNETS_SHARED ?? resolve(import.meta.dirname, '../../shared');
export const fakeCameraVideo = resolve(import.meta.dirname, '.output/chelsea.y4m');

/** Chromium's flags for a camera that plays the fake video, granted without a prompt. */
export const fakeCameraArgs = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-video-capture=${fakeCameraVideo}`,
];

/** A Chromium of the tests' settings whose camera plays the fake video (the caller closes it). */
export function launchWithFakeCamera(
  playwright: PlaywrightWorkerArgs['playwright'],
): Promise<Browser> {
  return playwright.chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, ...fakeCameraArgs],
  });
}

/** Decodes a PNG/JPEG with Chromium: RGBA bytes cropped to even sides (4:2:0 needs them). */
async function decodeImage(
  file: string,
): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const dataUrl = `data:image/png;base64,${readFileSync(file).toString('base64')}`;
    const { base64, width, height } = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const w = img.naturalWidth & ~1;
      const h = img.naturalHeight & ~1;
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2D context');
      ctx.drawImage(img, 0, 0);
      const bytes = new Uint8Array(ctx.getImageData(0, 0, w, h).data.buffer);
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      return { base64: btoa(binary), width: w, height: h };
    }, dataUrl);
    return { rgba: new Uint8Array(Buffer.from(base64, 'base64')), width, height };
  } finally {
    await browser.close();
  }
}

/** Writes the fake camera video unless it is newer than the photo. */
export async function makeFakeCameraVideo(): Promise<string> {
  const photo = resolve(sharedDir, 'images/chelsea.png');
  if (!existsSync(photo)) {
    throw new Error(
      `${photo} is missing: the demo's camera test plays it as the fake camera (set WEBNETS_SHARED to the shared/ folder).`,
    );
  }
  if (existsSync(fakeCameraVideo) && statSync(fakeCameraVideo).mtimeMs > statSync(photo).mtimeMs) {
    return fakeCameraVideo;
  }
  const { rgba, width, height } = await decodeImage(photo);
  mkdirSync(dirname(fakeCameraVideo), { recursive: true });
  writeFileSync(fakeCameraVideo, encodeY4m(rgba, width, height, { frames: 2, fps: 10 }));
  return fakeCameraVideo;
}
