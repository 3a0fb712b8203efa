import { describe, expect, it } from 'vitest';
import { findChromium } from '../playwright.config';

/** Which Chromium the browser tests launch, and what they say when there is none. */
describe('findChromium', () => {
  const only = (path: string) => (p: string) => p === path;

  it('takes WEBNETS_CHROMIUM when set, else /usr/bin/chromium', () => {
    expect(findChromium({ WEBNETS_CHROMIUM: '/opt/c/chrome' }, only('/opt/c/chrome'))).toEqual({
      path: '/opt/c/chrome',
      missing: null,
    });
    expect(findChromium({}, only('/usr/bin/chromium'))).toEqual({
      path: '/usr/bin/chromium',
      missing: null,
    });
  });

  it('names /usr/bin/chromium and WEBNETS_CHROMIUM, and how to get one, when neither gives a binary', () => {
    const none = () => false;
    expect(findChromium({}, none).missing).toBe(
      "no Chromium at /usr/bin/chromium, and WEBNETS_CHROMIUM is not set. The browser tests need a Chromium: install Debian's (apt-get install -y chromium) for /usr/bin/chromium, or set WEBNETS_CHROMIUM to a Chromium binary.",
    );
    expect(findChromium({ WEBNETS_CHROMIUM: '/nowhere/chrome' }, none).missing).toMatch(
      /^WEBNETS_CHROMIUM=\/nowhere\/chrome: no such file\. .*\/usr\/bin\/chromium, or set WEBNETS_CHROMIUM/,
    );
  });
});
