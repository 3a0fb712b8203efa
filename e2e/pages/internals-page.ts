/**
 * The page for browser tests that look inside: the public API as window.webnets and what
 * they inspect as window.internals, both built from the sources by Vite, so they share one
 * tfjs and one kernels module. (The public bundle, /dist/webnets.js, exports no internals;
 * the runtime page tests it as users get it.)
 */
import * as webnets from '../../src/index';
import * as kernels from '../../src/kernels';
import { networkInput } from '../../src/runtime/preprocess';
import { prepareSource, releaseSource } from '../../src/runtime/source';

const internals = { kernels, preprocess: { prepareSource, networkInput, releaseSource } };

export type Internals = typeof internals;

Object.assign(window, { webnets, internals });
document.getElementById('out')!.textContent = 'ready';
