/**
 * The public API the pages use, imported at run time from `/dist/webnets.js` (what
 * `npm run build` writes), never from src/: the demo runs exactly what users get.
 *
 * The types below are the part of the public API (src/index.ts) the pages rely on.
 */
import type { Complexity } from '../lib/catalog';

export type BackendOption = 'auto' | 'webgpu' | 'wasm' | 'cpu';

export interface Classification {
  index: number;
  label: string;
  probability: number;
}

export interface Model {
  readonly id: string;
  readonly backend: 'webgpu' | 'wasm' | 'cpu';
  readonly backendReason: string;
  readonly inputSize: number;
  readonly info: { complexity: Complexity; synthetic: boolean };
  classify(source: unknown, options?: { topK?: number }): Promise<Classification[]>;
  dispose(): void;
}

export interface LoadOptions {
  backend?: BackendOption;
  /** A pack's model.json. */
  weightsUrl?: string;
  /** Seeded random weights instead of a pack. */
  synthetic?: boolean;
  onProgress?: (progress: { loaded: number; total: number }) => void;
  threads?: number;
  signal?: AbortSignal;
}

export interface PresetListing {
  id: string;
  complexity: Complexity;
}

export interface WebnetsApi {
  version: string;
  load(id: string, options?: LoadOptions): Promise<Model>;
  listModels(): readonly PresetListing[] | Promise<readonly PresetListing[]>;
}

const distUrl = '/dist/webnets.js';

/** Loads the built SDK; throws with the fix when `npm run build` has not run. */
export async function importWebnets(): Promise<WebnetsApi> {
  try {
    return (await import(/* @vite-ignore */ distUrl)) as WebnetsApi;
  } catch (error) {
    throw new Error(
      `${distUrl} could not be loaded (${error instanceof Error ? error.message : String(error)}): run \`npm run build\`, or start the demo with \`npm run demo\`.`,
      { cause: error },
    );
  }
}
