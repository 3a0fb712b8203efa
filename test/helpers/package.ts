/**
 * Using webnets as its users do: `npm pack` of this checkout, installed by npm into a fresh
 * folder outside the repository (so nothing resolves to the repository's own node_modules),
 * and the README's Install snippets, which the tests run as written.
 * Shared by test/package.test.ts (Node) and e2e/package.spec.ts (apps in Chromium).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = resolve(import.meta.dirname, '../..');
export const sharedDir = process.env.WEBNETS_SHARED ?? resolve(repoRoot, '../shared');

/** The pack and photo every snippet refers to (`packs/fd-mobilenet-0.5x/`, `cat.png`). */
export const packId = 'fd-mobilenet-0.5x';
export const packDir = resolve(repoRoot, 'models/packs', packId);
export const catPhoto = resolve(sharedDir, 'images/chelsea.png');
export const checkpoint = resolve(sharedDir, 'weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar');
/** ImageNet's label for chelsea.png with FD-MobileNet 0.5× (../shared/README.md: class 285). */
export const catLabel = 'Egyptian cat';

/** Runs a command, failing with its output when it exits non-zero. */
export async function sh(
  cmd: string,
  args: string[],
  cwd: string,
  timeout = 300_000,
): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `\`${cmd} ${args.join(' ')}\` in ${cwd} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      { cause: err },
    );
  }
}

/** A new empty folder under the system's temp dir. */
export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `webnets-${name}-`));
}

/**
 * `npm pack` of this checkout as it is built (`npm run build` writes dist/; npm test builds
 * first), into `dest`; returns the tarball's path. WEBNETS_PACKAGE_TARBALL names a tarball
 * to test instead (another commit's, a release's).
 */
export async function packWebnets(dest: string): Promise<string> {
  const given = process.env.WEBNETS_PACKAGE_TARBALL;
  if (given) {
    if (!existsSync(given)) throw new Error(`WEBNETS_PACKAGE_TARBALL=${given}: no such file`);
    return resolve(given);
  }
  for (const file of ['dist/webnets.js', 'dist/node/index.js', 'dist/types/browser.d.ts']) {
    if (!existsSync(resolve(repoRoot, file))) {
      throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` does)`);
    }
  }
  const out = await sh(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dest],
    repoRoot,
  );
  const [info] = JSON.parse(out) as { filename: string }[];
  if (!info) throw new Error(`npm pack printed no file: ${out}`);
  return join(dest, info.filename);
}

/**
 * Installs the tarball and `packages` (exact versions) into `dir`, as `npm install` would for
 * a user; npm's cache makes a repeat fast.
 */
export async function npmInstall(
  dir: string,
  tarball: string,
  packages: string[] = [],
): Promise<void> {
  await sh(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      tarball,
      ...packages,
    ],
    dir,
  );
}

/**
 * The README's Install snippets by name: the fenced block after each
 * `<!-- install:NAME -->` marker.
 */
export function readmeSnippets(): Record<string, string> {
  const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');
  const snippets: Record<string, string> = {};
  for (const m of readme.matchAll(/<!-- install:([\w-]+) -->\s*```\w*\n([\s\S]*?)```/g)) {
    snippets[m[1] as string] = m[2] as string;
  }
  return snippets;
}

export function readmeSnippet(name: string): string {
  const snippet = readmeSnippets()[name];
  if (snippet === undefined) {
    throw new Error(`README.md has no \`<!-- install:${name} -->\` marker before a code block`);
  }
  return snippet;
}

/** Copies the cat photo to `<dir>/cat.png`. */
export function addPhoto(dir: string): void {
  if (!existsSync(catPhoto)) throw new Error(`${catPhoto} is missing: see ../shared/README.md`);
  mkdirSync(dir, { recursive: true });
  cpSync(catPhoto, join(dir, 'cat.png'));
}

/** Copies the pack to `<dir>/packs/<id>/` and the cat photo to `<dir>/cat.png`. */
export function addPackAndPhoto(dir: string): void {
  if (!existsSync(resolve(packDir, 'model.json'))) {
    throw new Error(
      `${packDir} is missing: \`npm run packs\` makes it from ../shared/weights/fd-mobilenet/ (the e2e global setup runs it)`,
    );
  }
  addPhoto(dir);
  cpSync(packDir, join(dir, 'packs', packId), { recursive: true });
}
