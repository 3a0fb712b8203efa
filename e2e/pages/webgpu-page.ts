/**
 * The page for e2e/webgpu-kernels.spec.ts: the browser entry (the public API with tfjs'
 * WebGPU backend) from the sources, so the networks run webnets' WGSL kernels as edited.
 */
import * as webnets from '../../src/browser';

Object.assign(window, { webnets });
document.getElementById('out')!.textContent = 'ready';
