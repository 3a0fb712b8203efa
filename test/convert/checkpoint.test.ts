import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/convert/checkpoint';

const dir = 'test/fixtures/checkpoints';
const read = (name: string) => new Uint8Array(readFileSync(`${dir}/${name}`));
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as Record<
  string,
  { shape: number[]; values: number[] }
>;

function expectMatches(sd: ReturnType<typeof readCheckpoint>): void {
  expect([...sd.keys()].sort()).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = sd.get(name)!;
    expect(got.shape, name).toEqual(want.shape);
    expect(got.data.length, name).toBe(want.values.length);
    want.values.forEach((v, i) => expect(got.data[i], `${name}[${i}]`).toBeCloseTo(v, 6));
  }
}

describe('readCheckpoint on files written by torch.save (fixtures from tools/reference)', () => {
  it.each([
    'tiny-zip.pt.bin',
    'tiny-zip-p4.pt.bin',
    'tiny-zip-deflated.pt.bin',
    'tiny-legacy.pt.bin',
    'tiny.safetensors.bin',
  ])('reads every tensor of %s: views, strides, shared storages, f16/bf16/f64/int64', (file) =>
    expectMatches(readCheckpoint(read(file), file)),
  );

  it.each(['nested-zip.pt.bin', 'nested-legacy.pt.bin'])(
    'finds the state dict under state_dict and strips the module. prefix in %s',
    (file) => expectMatches(readCheckpoint(read(file), file)),
  );
});

describe('readCheckpoint refuses bad input, naming the file and the problem', () => {
  it('refuses a pickle that calls os.system, and never runs it', () => {
    expect(() => readCheckpoint(read('exploit-zip.pt.bin'), 'exploit.pt')).toThrow(
      /exploit\.pt: refusing the Python global '(posix|os)\.system'/,
    );
  });

  it.each([
    ['tiny-zip.pt.bin', /tiny-zip\.pt\.bin: .*(zip|truncated)/],
    ['tiny-legacy.pt.bin', /tiny-legacy\.pt\.bin: .*truncated/],
    ['tiny.safetensors.bin', /tiny\.safetensors\.bin: .*truncated/],
  ])('refuses a truncated %s', (file, message) => {
    const bytes = read(file);
    expect(() => readCheckpoint(bytes.subarray(0, bytes.length - 40), file)).toThrow(message);
  });

  it('refuses a file that is no checkpoint at all', () => {
    const png = new Uint8Array(readFileSync('../shared/images/chelsea.png'));
    expect(() => readCheckpoint(png, 'chelsea.png')).toThrow(
      /chelsea\.png: not a PyTorch checkpoint/,
    );
  });

  it('refuses a pickle opcode outside what state dicts use', () => {
    // PROTO 2, then INST (0x69), which builds arbitrary objects.
    const bytes = new Uint8Array([0x80, 0x02, 0x8a, 0x0a, ...new Array(10).fill(0), 0x69]);
    expect(() => readCheckpoint(bytes, 'odd.pt')).toThrow(/odd\.pt: /);
  });
});

describe('the FD-MobileNet authors’ legacy checkpoints in ../shared', () => {
  const shared = '../shared/weights/fd-mobilenet';
  it.each([
    ['0.25x-FDMobileNet-224.pth.tar', 383_160],
    ['0.5x-FDMobileNet-224.pth.tar', 993_928],
  ])('%s holds %d parameters (running stats excluded)', (file, params) => {
    const path = `${shared}/${file}`;
    if (!existsSync(path))
      throw new Error(
        `${path} is missing: the FD-MobileNet checkpoints live in ../shared/weights (see ../shared/README.md)`,
      );
    const sd = readCheckpoint(new Uint8Array(readFileSync(path)), file);
    let count = 0;
    for (const [name, t] of sd) if (!/running_|num_batches/.test(name)) count += t.data.length;
    expect(count).toBe(params);
    expect(sd.get('classifier.weight')!.shape[0]).toBe(1000);
    expect(sd.get('features.dw_conv_0.weight')!.shape.slice(1)).toEqual([1, 3, 3]);
  });
});
