/**
 * The checkpoint readers on damaged and hostile bytes: seeded mutations (random bytes,
 * truncation, runs of 0xFF, 32-bit fields overwritten with values that break size
 * arithmetic) of every committed fixture — torch zip (stored and deflated entries,
 * pickle protocols 2 and 4), legacy, nested, safetensors. Each mutated file must either
 * read, into no more float32 values than it has bytes, or be refused with a plain Error
 * that starts with the file's name and says what was wrong; never a bare RangeError or
 * TypeError, never a hang. A failure names the file, the seed and the mutation.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/convert/checkpoint';
import { mutate } from '../helpers/mutate';

const dir = 'test/fixtures/checkpoints';
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.bin'));
const MUTATIONS_PER_FILE = 200;
/** A hang guard, not a measurement: a case takes about a millisecond. */
const HANG_MS = 2000;

describe('readCheckpoint on seeded mutations of the fixtures', () => {
  it('covers zip, legacy and safetensors files', () => {
    expect(fixtures.length * MUTATIONS_PER_FILE).toBeGreaterThanOrEqual(1000);
    for (const kind of [/zip/, /legacy/, /safetensors/]) {
      expect(fixtures.some((f) => kind.test(f))).toBe(true);
    }
  });

  it.each(fixtures)('%s: every mutation reads or fails with a named Error', (file) => {
    const original = new Uint8Array(readFileSync(`${dir}/${file}`));
    const problems: string[] = [];
    for (let seed = 1; seed <= MUTATIONS_PER_FILE; seed++) {
      const { what, bytes } = mutate(original, seed);
      const started = performance.now();
      try {
        const stateDict = readCheckpoint(bytes, file);
        let values = 0;
        for (const { shape, data } of stateDict.values()) {
          values += data.length;
          if (data.length !== shape.reduce((a, b) => a * b, 1)) {
            problems.push(`seed ${seed} (${what}): a tensor's data does not match its shape`);
          }
        }
        if (values > bytes.length) {
          problems.push(
            `seed ${seed} (${what}): ${values} values from a ${bytes.length}-byte file`,
          );
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const named = message.startsWith(`${file}: `) && message.length > file.length + 12;
        if (!(err instanceof Error) || err.constructor !== Error || !named) {
          problems.push(`seed ${seed} (${what}): ${(err as Error).constructor?.name}: ${message}`);
        } else if (/undefined|NaN|\[object /.test(message)) {
          problems.push(`seed ${seed} (${what}): a message that names nothing: ${message}`);
        }
      }
      const ms = performance.now() - started;
      if (ms > HANG_MS) problems.push(`seed ${seed} (${what}): ${ms.toFixed(0)} ms`);
    }
    expect(problems).toEqual([]);
  });
});
