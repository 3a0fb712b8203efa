import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/version';
import { tf } from '../src/tf';

describe('foundation', () => {
  it('keeps src/version.ts equal to package.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it.each(['cpu', 'wasm'])('runs tfjs-core on the %s backend in Node', async (backend) => {
    expect(await tf.setBackend(backend)).toBe(true);
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
    expect(tf.getBackend()).toBe(backend);
  });
});
