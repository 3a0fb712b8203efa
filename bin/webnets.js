#!/usr/bin/env node
// `npx webnets`: in a checkout, run the TypeScript sources through tsx (always current,
// no build step); in an installed package, run the prebuilt dist/node/cli.js.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const source = here('../src/cli.ts');
const built = here('../dist/node/cli.js');

let tsxApi = null;
if (existsSync(source)) {
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    tsxApi = null;
  }
}
if (tsxApi) {
  const { register } = await import(tsxApi);
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  console.error(
    'webnets: neither src/cli.ts with tsx nor dist/node/cli.js was found; run `npm install` in the package folder.',
  );
  process.exitCode = 1;
}
