/**
 * bench/ab in Chromium: the page Chromium's V8 compiles the kernels in, which is not
 * Node 20's (a newer compiler that may place registers and loads differently). tfjs' WASM
 * backend with one thread, as the benchmark's wasm1 page runs it.
 */
import { startBackend } from '../lib/backend';
import { runAb, type AbOptions } from './core';

declare global {
  interface Window {
    ab: { run(options: AbOptions): Promise<void> };
  }
}

window.ab = {
  async run(options) {
    await startBackend('wasm', options.threads);
    await runAb(options, (line) => console.log(line));
  },
};
