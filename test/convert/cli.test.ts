/**
 * The converter as users run it: `npx webnets convert` and `npx webnets fetch-weights`
 * (against a local HTTP server standing in for the internet, serving ../shared/weights).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSpec } from '../../src/models/presets';
import { seededStateDict, torchZip } from '../helpers/checkpoint-files';
import { webnets } from '../helpers/cli';
import type { PackManifest } from '../../src/weights/pack';

const checkpoint = '../shared/weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar';
const publishedSha = '2659c821467f37fd265f73ffbce4ed8d4c212347db97d4f7e7cb0922f065d054';

let dir: string;
let server: ReturnType<typeof createServer>;
let base: string;
let corrupt = false;

beforeAll(async () => {
  if (!existsSync(checkpoint)) throw new Error(`${checkpoint} is missing: see ../shared/README.md`);
  dir = await mkdtemp(join(tmpdir(), 'webnets-cli-'));
  server = createServer((req, res) => {
    const path = join('../shared/weights', decodeURIComponent(req.url ?? ''));
    if (!existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    const bytes = readFileSync(path);
    if (corrupt) bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    res.writeHead(200, { 'Content-Length': bytes.length }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('webnets convert', () => {
  it('converts the FD-MobileNet 0.5× legacy checkpoint into an int8 pack', async () => {
    const out = join(dir, 'convert-int8');
    const { code, stdout } = await webnets(
      'convert',
      checkpoint,
      '--arch',
      'fd-mobilenet-0.5x',
      '--out',
      out,
      '--dtype',
      'int8',
      '--json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      model: 'fd-mobilenet-0.5x',
      dtype: 'int8',
      source: { sha256: publishedSha, naming: 'fd-mobilenet', format: 'torch-legacy' },
    });
    const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as PackManifest;
    expect(manifest.preprocessing).toMatchObject({ inputSize: 224, resizeSize: 256 });
    expect(Object.keys(manifest.shards).every((p) => existsSync(join(out, p)))).toBe(true);
  });

  it.each([
    [
      ['convert', checkpoint, '--arch', 'fd-mobilenet-0.25x', '--out', 'x'],
      /0\.5x-FDMobileNet-224\.pth\.tar: .*fd-mobilenet-0\.25x.*(\[8, 3, 3, 3\]|expected)/,
    ],
    [['convert', checkpoint, '--arch', 'nosuchnet', '--out', 'x'], /nosuchnet/],
    [
      ['convert', checkpoint, '--arch', 'fd-mobilenet-0.5x', '--out', 'x', '--dtype', 'int4'],
      /--dtype int4 is not one of float32, float16, int8/,
    ],
    [
      ['convert', 'missing.pth', '--arch', 'fd-mobilenet-0.5x', '--out', 'x'],
      /missing\.pth: cannot read the checkpoint/,
    ],
    [
      ['convert', 'README.md', '--arch', 'fd-mobilenet-0.5x', '--out', 'x'],
      /README\.md: not a PyTorch checkpoint/,
    ],
  ])('refuses %j with a clear error and writes nothing', async (args, message) => {
    const { code, stderr } = await webnets(...args);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
    expect(existsSync('x')).toBe(false);
  });
});

describe('webnets fetch-weights (against a local mirror of the published files)', () => {
  it('downloads, checks the published sha256, converts; a second run reuses the file', async () => {
    const args = [
      'fetch-weights',
      'fd-mobilenet-0.5x',
      '--base-url',
      base,
      '--out',
      join(dir, 'packs'),
      '--checkpoints',
      join(dir, 'ckpt'),
      '--json',
    ];
    const first = await webnets(...args);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject([
      { id: 'fd-mobilenet-0.5x', sha256: publishedSha, downloaded: true, verified: true },
    ]);
    const manifest = JSON.parse(
      readFileSync(join(dir, 'packs/fd-mobilenet-0.5x/model.json'), 'utf8'),
    ) as PackManifest;
    expect(manifest.source.sha256).toBe(publishedSha);
    const second = await webnets(...args);
    expect(JSON.parse(second.stdout)).toMatchObject([{ downloaded: false }]);
  });

  it('refuses a download whose hash differs from the published one, keeping nothing', async () => {
    corrupt = true;
    try {
      const ckpt = join(dir, 'ckpt-bad');
      const { code, stderr } = await webnets(
        'fetch-weights',
        'fd-mobilenet-0.5x',
        '--base-url',
        base,
        '--out',
        join(dir, 'packs-bad'),
        '--checkpoints',
        ckpt,
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /0\.5x-FDMobileNet-224\.pth\.tar: sha256 [0-9a-f]{64} does not match the published 2659c821/,
      );
      expect(
        existsSync(join(ckpt, 'fd-mobilenet')) ? readdirSync(join(ckpt, 'fd-mobilenet')) : [],
      ).toEqual([]);
      expect(existsSync(join(dir, 'packs-bad'))).toBe(false);
    } finally {
      corrupt = false;
    }
  });

  it('says a checkpoint whose publisher gives no hash was not verified', async () => {
    // FD-MobileNet 1×: models/models.json has its URL but no hash (not in ../shared).
    const ckpt = join(dir, 'ckpt-1x');
    await mkdir(join(ckpt, 'fd-mobilenet'), { recursive: true });
    await writeFile(
      join(ckpt, 'fd-mobilenet/1x-FDMobileNet-224.pth.tar'),
      torchZip(seededStateDict(getSpec('fd-mobilenet-1x'), 'fd-mobilenet')),
    );
    const args = ['fetch-weights', 'fd-mobilenet-1x', '--checkpoints', ckpt, '--out'];
    const text = await webnets(...args, join(dir, 'p-1x'));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^fd-mobilenet-1x: already had .*1x-FDMobileNet-224\.pth\.tar \(sha256 [0-9a-f]{12}…, NOT verified: its publisher gives no hash\) → /,
    );
    const json = await webnets(...args, join(dir, 'p-1x-json'), '--json');
    expect(JSON.parse(json.stdout)).toMatchObject([{ id: 'fd-mobilenet-1x', verified: false }]);
  });

  it('names the file on a 404 and a model without published weights', async () => {
    const missing = await webnets(
      'fetch-weights',
      'fd-mobilenet-1x',
      '--base-url',
      base,
      '--checkpoints',
      join(dir, 'c1'),
      '--out',
      join(dir, 'p1'),
    );
    expect(missing.stderr).toMatch(/1x-FDMobileNet-224\.pth\.tar: HTTP 404/);
    const unknown = await webnets('fetch-weights', 'regnetx-200mf', '--base-url', base);
    expect(unknown.stderr).toMatch(/no published checkpoint is known for 'regnetx-200mf'/);
  });
});
