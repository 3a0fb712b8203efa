/**
 * The public API the pages use, imported at run time from `/dist/webnets.js` (what
 * `npm run build` writes), never from src/: the demo runs exactly what users get.
 * Only the types come from src/index.ts (type imports vanish from the pages' code), so
 * the pages are checked against the public API as it is.
 */
import type * as Webnets from '../../src/index';

export type WebnetsApi = typeof Webnets;
export type { BackendOption, Classification, Model, ModelListing } from '../../src/index';

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
