/**
 * `load(id, { pretrained: true })` in Node (the conversion runs on this thread; the
 * browser's worker, cache and CORS are e2e/pretrained.spec.ts'): against a local mirror of
 * seeded checkpoints in torch zip, torch legacy and safetensors layouts, the pack is the
 * one `webnets convert` makes of the same file, byte for byte, with the same logits; the
 * real FD-MobileNet checkpoint comes through `baseUrl` by its published hash; every bad
 * download, hash, file and option is refused naming the URL and what was wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert';
import { pretrainedFor } from '../../src/models/pretrained';
import { getSpec } from '../../src/models/presets';
import { load, tf } from '../../src/index';
import { MAX_CHECKPOINT_BYTES, readPretrained } from '../../src/runtime/pretrained';
import type { PackManifest } from '../../src/weights/pack';
import { sha256Hex } from '../../src/weights/sha256';
import type { Mirror } from '../helpers/checkpoint-mirror';
import { startMirror } from '../helpers/checkpoint-mirror';
import { safetensors, seededStateDict, torchLegacy, torchZip } from '../helpers/checkpoint-files';

const b0 = getSpec('efficientnet-b0');
const rx = getSpec('regnetx-400mf');
const fdPublished = '../shared/weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar';

/** Mirror path → bytes, and each seeded file's sha256. */
const files = new Map<string, Uint8Array>();
const sha = new Map<string, string>();
let mirror: Mirror;
let dir: string;

async function put(path: string, bytes: Uint8Array): Promise<void> {
  files.set(path, bytes);
  sha.set(path, await sha256Hex(bytes));
}

const b0Path = `/${pretrainedFor('efficientnet-b0')!.file}`;
const rxPath = `/${pretrainedFor('regnetx-400mf')!.file}`;
const timmPath = '/timm/efficientnet_b0.ra_in1k/model.safetensors';

beforeAll(async () => {
  if (!existsSync(fdPublished))
    throw new Error(`${fdPublished} is missing: see ../shared/README.md`);
  await tf.setBackend('cpu');
  await put(b0Path, torchZip(seededStateDict(b0, 'torchvision', 1)));
  await put(rxPath, torchLegacy(seededStateDict(rx, 'torchvision', 2)));
  await put(timmPath, safetensors(seededStateDict(b0, 'timm', 3)));
  await put(
    '/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar',
    new Uint8Array(readFileSync(fdPublished)),
  );
  mirror = await startMirror(files, { announce: MAX_CHECKPOINT_BYTES + 1 });
  dir = await mkdtemp(join(tmpdir(), 'webnets-pretrained-'));
}, 60_000);

afterAll(async () => {
  await mirror?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const own = (id: string, path: string, prefix = '') => ({
  [id]: { url: `${mirror.url}${prefix}${path}`, sha256: sha.get(path)! },
});

/** The pack `webnets convert` writes of the mirror's file: its manifest and shards' bytes. */
async function cliPack(path: string, arch: string, dtype?: 'float16' | 'int8') {
  const file = join(dir, path.split('/').pop()!);
  await writeFile(file, files.get(path)!);
  const out = join(dir, `pack-${arch}-${dtype ?? 'float32'}`);
  await convertCheckpoint(file, { arch, outDir: out, ...(dtype ? { dtype } : {}) });
  const manifest = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as PackManifest;
  const shards = await Promise.all(
    manifest.weightsManifest[0]!.paths.map((p) => readFile(join(out, p))),
  );
  return { manifest, data: new Uint8Array(Buffer.concat(shards)), out };
}

describe('pretrained: the pack webnets convert makes, from each layout', () => {
  const cases = [
    { layout: 'torch zip, torchvision names', id: 'efficientnet-b0', path: b0Path },
    { layout: 'torch legacy, torchvision names', id: 'regnetx-400mf', path: rxPath },
    { layout: 'safetensors, timm names', id: 'efficientnet-b0', path: timmPath },
  ];
  for (const { layout, id, path } of cases) {
    it(`${layout} (${id})`, async () => {
      const progress: number[] = [];
      const read = await readPretrained(getSpec(id), {
        checkpoints: own(id, path),
        cache: false,
        onProgress: ({ loaded }) => progress.push(loaded),
      });
      const cli = await cliPack(path, id);
      expect(read.fromCache).toBe(false);
      expect(read.manifest).toEqual(cli.manifest);
      expect(await sha256Hex(read.data)).toBe(await sha256Hex(cli.data));
      expect(progress.at(-1)).toBe(files.get(path)!.length);
    });
  }

  it('int8 as `convert --dtype int8` makes it', async () => {
    const read = await readPretrained(b0, {
      checkpoints: own('efficientnet-b0', b0Path),
      cache: false,
      dtype: 'int8',
    });
    const cli = await cliPack(b0Path, 'efficientnet-b0', 'int8');
    expect(read.manifest.dtype).toBe('int8');
    expect(await sha256Hex(read.data)).toBe(await sha256Hex(cli.data));
  });

  it('load() gives the logits of the CLI-converted pack of the same checkpoint', async () => {
    const cli = await cliPack(b0Path, 'efficientnet-b0');
    files.set('/packs/b0/model.json', readFileSync(join(cli.out, 'model.json')));
    for (const p of cli.manifest.weightsManifest[0]!.paths) {
      files.set(`/packs/b0/${p}`, readFileSync(join(cli.out, p)));
    }
    const pixels = tf.tidy(() =>
      tf.cast(tf.mul(tf.randomUniform([230, 250, 3], 0, 1, 'float32', 5), 255), 'int32'),
    ) as tf.Tensor3D;
    const fromPack = await load('efficientnet-b0', {
      weightsUrl: `${mirror.url}/packs/b0/model.json`,
      backend: 'cpu',
    });
    const fromCheckpoint = await load('efficientnet-b0', {
      pretrained: true,
      checkpoints: own('efficientnet-b0', b0Path),
      backend: 'cpu',
    });
    const [a, b] = [await fromPack.predict(pixels), await fromCheckpoint.predict(pixels)];
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(fromCheckpoint.info).toMatchObject({
      synthetic: false,
      source: {
        url: `${mirror.url}${b0Path}`,
        sha256: sha.get(b0Path),
        format: 'torch-zip',
        naming: 'torchvision',
      },
    });
    pixels.dispose();
    fromPack.dispose();
    fromCheckpoint.dispose();
  });

  it('the published FD-MobileNet checkpoint through baseUrl, by its published hash', async () => {
    const entry = pretrainedFor('fd-mobilenet-0.5x')!;
    const read = await readPretrained(getSpec('fd-mobilenet-0.5x'), {
      baseUrl: `${mirror.url}/`,
      cache: false,
    });
    expect(mirror.requests.at(-1)).toBe(`/${entry.file}`);
    expect(read.manifest.source).toMatchObject({ sha256: entry.sha256, format: 'torch-legacy' });
    expect(read.manifest.preprocessing).toEqual(entry.preprocessing);
  });
});

describe('pretrained: bad downloads and files are refused naming the URL', () => {
  const b0Own = () => own('efficientnet-b0', b0Path);
  const read = (opts: Parameters<typeof readPretrained>[1]) =>
    readPretrained(b0, { cache: false, ...opts });

  it('a file whose sha256 is not the one asked for', async () => {
    await expect(
      read({
        checkpoints: {
          'efficientnet-b0': { url: `${mirror.url}${b0Path}`, sha256: sha.get(rxPath)! },
        },
      }),
    ).rejects.toThrow(
      `${mirror.url}${b0Path}: sha256 ${sha.get(b0Path)} does not match the ${sha.get(rxPath)}`,
    );
  });

  it("a file that is not the publisher's (the published prefix)", async () => {
    await expect(read({ baseUrl: mirror.url })).rejects.toThrow(
      /efficientnet_b0_rwightman-3dd342df\.pth: sha256 [0-9a-f]{64} does not match the published prefix 3dd342df/,
    );
  });

  it('a truncated download', async () => {
    await expect(
      read({ checkpoints: own('efficientnet-b0', b0Path, '/truncate') }),
    ).rejects.toThrow(
      new RegExp(
        `${mirror.url}/truncate${b0Path}: (download failed after \\d+ bytes|received \\d+ of the \\d+ bytes)`,
      ),
    );
  });

  it('a stalled server', async () => {
    await expect(
      read({ checkpoints: own('efficientnet-b0', b0Path, '/stall'), stallTimeout: 300 }),
    ).rejects.toThrow(`${mirror.url}/stall${b0Path}: no data for 0.3 s after 0 bytes`);
  });

  it('an abort', async () => {
    const controller = new AbortController();
    const reading = read({
      checkpoints: b0Own(),
      signal: controller.signal,
      onProgress: ({ loaded }) => loaded > 1e6 && controller.abort(),
    });
    await expect(reading).rejects.toThrow(/: (download|load) aborted/);
  });

  it('a 404', async () => {
    await expect(
      read({
        checkpoints: {
          'efficientnet-b0': { url: `${mirror.url}/nope.pth`, sha256: sha.get(b0Path)! },
        },
      }),
    ).rejects.toThrow(`${mirror.url}/nope.pth: HTTP 404 Not Found`);
  });

  it('a checkpoint for another architecture', async () => {
    await expect(
      read({
        checkpoints: {
          'efficientnet-b0': { url: `${mirror.url}${rxPath}`, sha256: sha.get(rxPath)! },
        },
      }),
    ).rejects.toThrow(
      `${mirror.url}${rxPath}: regnet_x_400mf-62229a5f.pth: cannot tell which efficientnet naming the state dict uses`,
    );
  });

  it('a file larger than a page converts, before downloading it', async () => {
    await expect(
      read({ checkpoints: own('efficientnet-b0', b0Path, '/oversize') }),
    ).rejects.toThrow(
      /oversize\/torchvision\/efficientnet_b0_rwightman-3dd342df\.pth: the server announces \d+ bytes, more than 629145600 bytes, the most a page converts \(600 MiB/,
    );
  });
});

describe('pretrained: options', () => {
  it('refuses what does not fit together, naming the option', async () => {
    await expect(
      load('efficientnet-b0', { pretrained: true, weightsUrl: '/x.json' }),
    ).rejects.toThrow(
      "load('efficientnet-b0'): give one of weightsUrl, pretrained and synthetic, not weightsUrl and pretrained",
    );
    await expect(load('efficientnet-b0', { synthetic: true, baseUrl: '/m/' })).rejects.toThrow(
      "load('efficientnet-b0'): baseUrl applies only with pretrained: true",
    );
    await expect(
      load('efficientnet-b0', { pretrained: true, dtype: 'int4' as 'int8', cache: false }),
    ).rejects.toThrow(
      `load('efficientnet-b0'): dtype "int4": expected one of float32, float16, int8`,
    );
    await expect(
      load('efficientnet-b0', {
        pretrained: true,
        cache: false,
        checkpoints: { 'efficientnet-b0': { url: 'http://localhost/x.pth', sha256: 'abc' } },
      }),
    ).rejects.toThrow(
      /checkpoints\['efficientnet-b0'\]\.sha256 is "abc": expected the file's sha256/,
    );
  });

  it('names the presets with published checkpoints, and those without a hash', async () => {
    await expect(load('regnetx-200mf', { pretrained: true, cache: false })).rejects.toThrow(
      /no published checkpoint is known for 'regnetx-200mf' \(presets with one: fd-mobilenet-0\.25x, .*\); pass checkpoints/,
    );
    await expect(load('fd-mobilenet-1x', { pretrained: true, cache: false })).rejects.toThrow(
      /the publisher of 1x-FDMobileNet-224\.pth\.tar gives no hash to verify it by/,
    );
  });
});
