/* global process */
// Only for the e2e test's `vite` (dev server) run: the isolation headers when asked.
// `vite build` reads no config file.
const isolated = process.env.WEBNETS_APP_ISOLATED === '1';

export default {
  server: {
    headers: isolated
      ? {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        }
      : {},
  },
};
