import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumPath } from '../playwright.config';

/** Fails early, with the fix, when what the browser tests need is missing. */
export default function globalSetup(): void {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}. Install Debian's chromium (apt-get install -y chromium) ` +
        'or point WEBNETS_CHROMIUM at a Chromium binary.',
    );
  }
  if (!existsSync('dist/webnets.js')) {
    throw new Error('dist/webnets.js is missing: run `npm run build` first (`npm test` does).');
  }
  // The browser tests load the FD-MobileNet authors' weights, converted into the ignored models/packs/.
  for (const alpha of ['0.25', '0.5']) {
    const checkpoint = `../shared/weights/fd-mobilenet/${alpha}x-FDMobileNet-224.pth.tar`;
    const out = `models/packs/fd-mobilenet-${alpha}x`;
    if (existsSync(`${out}/model.json`)) continue;
    if (!existsSync(checkpoint)) {
      throw new Error(
        `${checkpoint} is missing: the browser tests need the FD-MobileNet checkpoints in ../shared (see its README)`,
      );
    }
    execFileSync(
      'node',
      ['bin/webnets.js', 'convert', checkpoint, '--arch', `fd-mobilenet-${alpha}x`, '--out', out],
      { stdio: 'inherit' },
    );
  }
}
