/**
 * Seeded checkpoints of whole presets, written at test time in the layouts publishers use:
 * `torch.save`'s zip format and its legacy format (torchvision's `.pth`, the FD-MobileNet
 * authors' `.pth.tar`), and safetensors (timm on the Hugging Face Hub), with any naming
 * of src/convert/names. No trained weights: values are seeded, batch norm statistics
 * drawn so that folding them changes the weights.
 *
 * The torch writers emit what `torch.save` emits for an OrderedDict of float32 tensors
 * (pickle protocol 2, `_rebuild_tensor_v2` on persistent storage ids; stored zip entries
 * under `archive/`); tools/reference/check_checkpoint_writer.py loads their output
 * with torch.load and compares.
 */
import { NAMINGS } from '../../src/convert/map';
import type { SourceTensor, StateDict } from '../../src/convert/state-dict';
import { crc32 } from '../../src/convert/zip';
import type { NetworkSpec } from '../../src/models/spec';
import { blockConvs } from '../../src/models/spec';
import type { PackSource } from '../../src/weights/pack';
import { tensorRandom } from '../../src/weights/synthetic';

/** A state dict in `naming`'s names for `spec`, seeded. */
export function seededStateDict(
  spec: NetworkSpec,
  naming: PackSource['naming'],
  seed = 1,
): StateDict {
  const names = NAMINGS.find((n) => n.naming === naming && n.family === spec.family)?.map(spec);
  if (!names) throw new Error(`no ${naming} naming for the ${spec.family} family`);
  const state: StateDict = new Map();
  const put = (name: string, shape: number[], lo: number, hi: number): void => {
    const random = tensorRandom(name, seed);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * random();
    state.set(name, { shape, data });
  };
  for (const conv of spec.blocks.flatMap(blockConvs)) {
    const source = names.convs.get(conv.name)!;
    const { outChannels: out, inChannels, groups, kernel: k } = conv;
    const std = Math.sqrt(6 / ((inChannels / groups) * k * k));
    put(source.weight, [out, inChannels / groups, k, k], -std, std);
    if ('bias' in source) {
      put(source.bias, [out], -0.1, 0.1);
    } else {
      put(`${source.bn}.weight`, [out], 0.5, 1.5);
      put(`${source.bn}.bias`, [out], -0.1, 0.1);
      put(`${source.bn}.running_mean`, [out], -0.1, 0.1);
      put(`${source.bn}.running_var`, [out], 0.5, 1.5);
    }
  }
  const fc = spec.classifier;
  const bound = 1 / Math.sqrt(fc.inFeatures);
  put(names.classifier.weight, [fc.outFeatures, fc.inFeatures], -bound, bound);
  put(names.classifier.bias, [fc.outFeatures], -bound, bound);
  return state;
}

/** Pickle protocol 2, the opcodes torch.save's state dicts use. */
class Pickler {
  private readonly parts: Uint8Array[] = [];
  private op(...bytes: number[]): this {
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }
  private raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }
  private u32(n: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    return b;
  }
  proto(): this {
    return this.op(0x80, 2);
  }
  stop(): this {
    return this.op(0x2e);
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  appends(): this {
    return this.op(0x65);
  }
  setitem(): this {
    return this.op(0x73);
  }
  setitems(): this {
    return this.op(0x75);
  }
  reduce(): this {
    return this.op(0x52);
  }
  persid(): this {
    return this.op(0x51);
  }
  none(): this {
    return this.op(0x4e);
  }
  bool(v: boolean): this {
    return this.op(v ? 0x88 : 0x89);
  }
  int(n: number): this {
    if (n >= 0 && n < 2 ** 31) return this.op(0x4a).raw(this.u32(n));
    throw new Error(`int ${n} out of range`);
  }
  long(n: bigint, bytes: number): this {
    const b = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) b[i] = Number((n >> BigInt(8 * i)) & 0xffn);
    return this.op(0x8a, bytes).raw(b);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58).raw(this.u32(b.length)).raw(b);
  }
  global(module: string, name: string): this {
    return this.op(0x63).raw(new TextEncoder().encode(`${module}\n${name}\n`));
  }
  ints(values: number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const bytesOf = (t: SourceTensor): Uint8Array =>
  new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

const strides = (shape: number[]): number[] =>
  shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

/** The OrderedDict of tensors, each on its own storage (key = its index). */
function pickleStateDict(state: StateDict, legacy: boolean): Uint8Array {
  const p = new Pickler().proto().global('collections', 'OrderedDict').emptyTuple().reduce();
  [...state].forEach(([name, t], i) => {
    p.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str(String(i)).str('cpu');
    p.int(t.data.length);
    if (legacy) p.none();
    p.tuple().persid();
    p.int(0).ints(t.shape).ints(strides(t.shape)).bool(false);
    p.global('collections', 'OrderedDict').emptyTuple().reduce();
    p.tuple().reduce().setitem();
  });
  return p.stop().bytes();
}

/** A zip archive of stored (uncompressed) entries, as torch.save writes it. */
function storedZip(entries: [string, Uint8Array][]): Uint8Array {
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const header = new Uint8Array(30 + nameBytes.length);
    const h = new DataView(header.buffer);
    h.setUint32(0, 0x04034b50, true);
    h.setUint16(4, 20, true);
    h.setUint32(14, crc, true);
    h.setUint32(18, data.length, true);
    h.setUint32(22, data.length, true);
    h.setUint16(26, nameBytes.length, true);
    header.set(nameBytes, 30);
    const record = new Uint8Array(46 + nameBytes.length);
    const c = new DataView(record.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.length, true);
    c.setUint32(24, data.length, true);
    c.setUint16(28, nameBytes.length, true);
    c.setUint32(42, offset, true);
    record.set(nameBytes, 46);
    local.push(header, data);
    central.push(record);
    offset += header.length + data.length;
  }
  const directory = concat(central);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, entries.length, true);
  e.setUint16(10, entries.length, true);
  e.setUint32(12, directory.length, true);
  e.setUint32(16, offset, true);
  return concat([...local, directory, end]);
}

/** `torch.save(state_dict, f)` (zip format, torch ≥ 1.6). */
export function torchZip(state: StateDict): Uint8Array {
  return storedZip([
    ['archive/data.pkl', pickleStateDict(state, false)],
    ...[...state.values()].map((t, i): [string, Uint8Array] => [`archive/data/${i}`, bytesOf(t)]),
    ['archive/version', new TextEncoder().encode('3\n')],
    ['archive/byteorder', new TextEncoder().encode('little')],
  ]);
}

/** `torch.save(state_dict, f, _use_new_zipfile_serialization=False)` (legacy format). */
export function torchLegacy(state: StateDict): Uint8Array {
  const magic = new Pickler().proto().long(0x1950a86a20f9469cfc6cn, 10).stop().bytes();
  const protocol = new Pickler().proto().int(1001).stop().bytes();
  const sysInfo = new Pickler()
    .proto()
    .emptyDict()
    .mark()
    .str('protocol_version')
    .int(1001)
    .str('little_endian')
    .bool(true)
    .setitems()
    .stop()
    .bytes();
  const keys = new Pickler().proto().emptyList().mark();
  [...state.keys()].forEach((_, i) => keys.str(String(i)));
  const storages = [...state.values()].flatMap((t) => {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(t.data.length), true);
    return [count, bytesOf(t)];
  });
  return concat([
    magic,
    protocol,
    sysInfo,
    pickleStateDict(state, true),
    keys.appends().stop().bytes(),
    ...storages,
  ]);
}

/** A safetensors file of float32 tensors. */
export function safetensors(state: StateDict): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, t] of state) {
    header[name] = {
      dtype: 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(head.length), true);
  return concat([length, head, ...[...state.values()].map(bytesOf)]);
}
