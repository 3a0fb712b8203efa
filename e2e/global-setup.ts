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
}
