/**
 * The Node build's entry (dist/node/index.js, the package's `node` export): the public API
 * (src/index.ts) on tfjs' cpu and wasm backends, tfjs-backend-wasm reading its binaries
 * from its own folder. Packs are read from disk too: `weightsUrl` may be a file path
 * (relative to the working directory) or a file: URL.
 */
import { pathToFileURL } from 'node:url';
import { fileFetch } from './convert/file-fetch';
import { setPlatform } from './platform';

setPlatform({ fetch: fileFetch, baseUrl: () => pathToFileURL(`${process.cwd()}/`).href });

export * from './index';
