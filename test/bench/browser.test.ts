import { describe, expect, it } from 'vitest';
import { parse } from '../../bench/ort/args';
import { findBrowser, parseBrowser } from '../../bench/lib/browser';

describe('--browser: the engine the benchmark pages run in', () => {
  it('is chromium by default, and firefox or webkit when named', () => {
    expect(parse([])?.browser).toBe('chromium');
    expect(parse(['--browser', 'firefox'])?.browser).toBe('firefox');
    expect(parse(['--browser', 'WebKit'])?.browser).toBe('webkit');
    expect(parseBrowser(undefined)).toBe('chromium');
  });

  it('names the option and the value it rejects', () => {
    expect(() => parse(['--browser', 'safari'])).toThrow(
      "--browser is 'safari': expected chromium, firefox, webkit",
    );
    expect(() => parseBrowser('')).toThrow(/--browser is '': expected/);
  });

  it('finds each engine’s programs, and says how to install the missing ones', () => {
    const none = (): boolean => false;
    const all = (): boolean => true;
    expect(findBrowser('firefox', {}, all)).toEqual({
      paths: { firefox: '/usr/bin/firefox-esr' },
      missing: null,
    });
    expect(findBrowser('firefox', { WEBNETS_FIREFOX: '/opt/ff/firefox' }, none).missing).toBe(
      "--browser firefox: no /opt/ff/firefox (WEBNETS_FIREFOX): install Debian's Firefox ESR (apt-get install -y firefox-esr) or set WEBNETS_FIREFOX to a Firefox binary.",
    );
    const webkit = findBrowser('webkit', {}, (path) => path !== '/usr/bin/Xvfb');
    expect(webkit.paths).toEqual({
      driver: '/usr/bin/WebKitWebDriver',
      minibrowser: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
      xvfb: '/usr/bin/Xvfb',
    });
    expect(webkit.missing).toMatch(
      /^--browser webkit: no \/usr\/bin\/Xvfb: install WebKitGTK's driver and a virtual display \(apt-get install -y webkit2gtk-driver xvfb xauth\)/,
    );
    expect(findBrowser('chromium', { WEBNETS_CHROMIUM: '/nope' }, none).missing).toMatch(
      /WEBNETS_CHROMIUM=\/nope: no such file/,
    );
  });
});
