/**
 * webnets in Node as a user installs it: the packed tarball installed by npm into a fresh
 * folder, imported by name. The installed `webnets` command converts the FD-MobileNet 0.5×
 * checkpoint into a pack there, and the README's Node snippet, run as written, classifies
 * the cat photo with it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addPhoto,
  catLabel,
  checkpoint,
  npmInstall,
  packWebnets,
  readmeSnippet,
  sh,
  tempDir,
} from './helpers/package';

/** The README's Node snippet decodes the photo with pngjs; the same version as webnets uses. */
const pngjs = 'pngjs@7.0.0';

describe('the packed package in Node', () => {
  let app = '';

  beforeAll(async () => {
    app = tempDir('node-app');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'webnets-node-app', private: true, type: 'module' }),
    );
    const tarball = await packWebnets(tempDir('pack'));
    await npmInstall(app, tarball, [pngjs]);
    addPhoto(app);
    await sh(
      webnetsBin(),
      ['convert', checkpoint, '--arch', 'fd-mobilenet-0.5x', '--out', 'packs/fd-mobilenet-0.5x'],
      app,
    );
    await sh(
      webnetsBin(),
      [
        'convert',
        checkpoint,
        '--arch',
        'fd-mobilenet-0.5x',
        '--out',
        'packs/int8',
        '--dtype',
        'int8',
      ],
      app,
    );
  }, 600_000);

  const webnetsBin = () => join(app, 'node_modules/.bin/webnets');

  it("runs the README's Node snippet as written: import { load, tf } from 'webnets', classify a photo", async () => {
    writeFileSync(join(app, 'classify.mjs'), readmeSnippet('node'));
    const out = await sh('node', ['classify.mjs'], app, 120_000);
    // console.log(best.label, best.probability, model.backendReason)
    expect(out.trim()).toMatch(
      new RegExp(`^${catLabel} 0\\.\\d+ wasm-simd \\(\\d+ threads?(, [^)]*)?\\): no WebGPU`),
    );
  });

  it('imports the Node build, not the browser bundle, runs the wasm and cpu backends, and refuses worker: true', async () => {
    const script = `
      import { load, tf } from 'webnets';
      const resolved = import.meta.resolve('webnets');
      const out = { resolved, backends: [] };
      for (const backend of ['wasm', 'cpu']) {
        const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend });
        const top = await model.classify(tf.zeros([64, 64, 3], 'int32'));
        out.backends.push([model.backend, top.length]);
        model.dispose();
      }
      out.worker = await load('fd-mobilenet-0.25x', { synthetic: true, worker: true }).then(
        () => 'loaded',
        (err) => err.message,
      );
      console.log(JSON.stringify(out));`;
    writeFileSync(join(app, 'backends.mjs'), script);
    const out = JSON.parse(await sh('node', ['backends.mjs'], app, 120_000)) as {
      resolved: string;
      backends: [string, number][];
      worker: string;
    };
    expect(out.resolved).toMatch(/\/node_modules\/webnets\/dist\/node\/index\.js$/);
    expect(out.backends).toEqual([
      ['wasm', 5],
      ['cpu', 5],
    ]);
    expect(out.worker).toBe(
      "load('fd-mobilenet-0.25x', { worker: true }): worker mode needs Web Workers, and globalThis.Worker is undefined (this is Node): load without worker: true to run the model on this thread",
    );
  });

  it('keeps the installed `webnets` command working: predict with the pack it converted', async () => {
    const out = await sh(
      webnetsBin(),
      ['predict', '--model', 'packs/fd-mobilenet-0.5x', '--image', 'cat.png', '--json'],
      app,
      120_000,
    );
    const result = JSON.parse(out) as { top: { index: number; label: string }[] };
    expect(result.top[0]).toMatchObject({ index: 285, label: catLabel });
  });

  it('loads an int8 pack (format 2: codes and float16 affine in the shard) from disk with load() and predict', async () => {
    const manifest = JSON.parse(readFileSync(join(app, 'packs/int8/model.json'), 'utf8')) as {
      formatVersion: number;
      dtype: string;
    };
    expect(manifest).toMatchObject({ formatVersion: 2, dtype: 'int8' });
    const script = `
      import { readFile } from 'node:fs/promises';
      import { PNG } from 'pngjs';
      import { load, tf } from 'webnets';
      const model = await load('fd-mobilenet-0.5x', { weightsUrl: 'packs/int8/model.json' });
      const { data, width, height } = PNG.sync.read(await readFile('cat.png'));
      const rgb = tf.slice(tf.tensor3d(data, [height, width, 4], 'int32'), 0, [-1, -1, 3]);
      const [best] = await model.classify(rgb);
      console.log(JSON.stringify(best));`;
    writeFileSync(join(app, 'int8.mjs'), script);
    const best = JSON.parse(await sh('node', ['int8.mjs'], app, 120_000)) as {
      index: number;
      label: string;
    };
    expect(best).toMatchObject({ index: 285, label: catLabel });
    const out = await sh(
      webnetsBin(),
      ['predict', '--model', 'packs/int8', '--image', 'cat.png', '--json'],
      app,
      120_000,
    );
    const result = JSON.parse(out) as { top: { index: number; label: string }[] };
    expect(result.top[0]).toMatchObject({ index: 285, label: catLabel });
  });
});
