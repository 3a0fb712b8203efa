/**
 * The entry of dist/webnets-convert.js, the module worker that `load(id, { pretrained:
 * true })` starts on a page's thread to convert a downloaded checkpoint into a pack
 * (src/runtime/convert-worker/client.ts). It holds the converter only: no tfjs.
 */
import type { ConvertEndpoint } from './runtime/convert-worker/server';
import { serveConversion } from './runtime/convert-worker/server';

serveConversion(self as unknown as ConvertEndpoint);
