import { existsSync } from 'node:fs';
import { findChromium } from '../playwright.config';
import { preparePacks } from '../tools/prepare-packs';
import { makeFakeCameraVideo } from './fake-camera';

/**
 * Before the browser tests, as `npm run demo` does: converts the checkpoints in ../shared
 * into packs under the ignored models/packs/ (quick when unchanged), and makes the fake
 * camera's video of chelsea.png. Fails early, with the fix, when what the tests need is missing.
 */
export default async function globalSetup(): Promise<void> {
  const { missing } = findChromium();
  if (missing) throw new Error(missing);
  if (!existsSync('dist/webnets.js')) {
    throw new Error('dist/webnets.js is missing: run `npm run build` first (`npm test` does).');
  }
  const { failures } = await preparePacks();
  for (const id of ['fd-mobilenet-0.25x', 'fd-mobilenet-0.5x']) {
    if (!existsSync(`models/packs/${id}/model.json`)) {
      throw new Error(
        `models/packs/${id} could not be made (${failures.join('; ') || 'no checkpoint found'}): ` +
          'the browser tests need the FD-MobileNet checkpoints in ../shared/weights/fd-mobilenet/ (see ../shared/README.md)',
      );
    }
  }
  for (const f of failures) console.warn(`global setup: ${f}`);
  await makeFakeCameraVideo();
}
