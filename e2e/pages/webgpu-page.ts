/**
 * The page for e2e/webgpu-kernels.spec.ts: the browser entry (the public API with tfjs'
 * WebGPU backend) from the sources, so the networks run webnets' WGSL kernels as edited,
 * what builds a network with or without them, and the input's preprocessing (window.internals).
 */
import * as webnets from '../../src/browser';
import * as kernels from '../../src/kernels';
import { compileNetwork, createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import { syntheticWeights } from '../../src/weights/synthetic';
import { networkInput, preprocessAttrs } from '../../src/runtime/preprocess';
import { prepareSource, releaseSource } from '../../src/runtime/source';

Object.assign(window, {
  webnets,
  internals: {
    kernels,
    createNetwork,
    compileNetwork,
    getSpec,
    syntheticWeights,
    preprocess: { networkInput, preprocessAttrs, prepareSource, releaseSource },
  },
});
document.getElementById('out')!.textContent = 'ready';
