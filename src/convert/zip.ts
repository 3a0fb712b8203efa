/**
 * The zip container of `torch.save` files (Node and browsers). PyTorch writes them with miniz: stored
 * (uncompressed) entries, zip64 records once past 4 GiB; other tools may deflate entries.
 *
 * Every size and offset is checked against the file before it is used, so a damaged or
 * hostile archive is refused with an error naming the entry or record, in time linear in
 * the file, and nothing larger than the file justifies is allocated (a deflated entry may
 * claim at most deflate's maximum ratio). Entries are read only when asked for, and their
 * CRC-32 is checked then.
 */
import { inflateSync } from 'fflate';

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Deflate cannot expand data by more than this factor. */
const DEFLATE_MAX_RATIO = 1032;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (the zip/PNG polynomial), as zip entries record it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Entry name → its verified bytes (read on first call). */
export type ZipEntries = Map<string, () => Uint8Array>;

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly fail: (what: string) => never,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(at: number, size: number, what: string): void {
    if (at < 0 || at + size > this.bytes.length) {
      this.fail(`${what} at offset ${at} lies outside the file (${this.bytes.length} bytes)`);
    }
  }
  u16(at: number, what: string): number {
    this.check(at, 2, what);
    return this.view.getUint16(at, true);
  }
  u32(at: number, what: string): number {
    this.check(at, 4, what);
    return this.view.getUint32(at, true);
  }
  u64(at: number, what: string): number {
    this.check(at, 8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is too large`);
    return Number(v);
  }
}

/** The end-of-central-directory record: where the directory is and how many entries it has. */
function findDirectory(r: Reader): { offset: number; size: number; count: number; end: number } {
  const { bytes } = r;
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (bytes[at] === 0x50 && bytes[at + 1] === 0x4b && r.u32(at, 'signature') === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) r.fail('no end-of-central-directory record (truncated?)');
  let count = r.u16(eocd + 10, 'entry count');
  let size = r.u32(eocd + 12, 'central directory size');
  let offset = r.u32(eocd + 16, 'central directory offset');
  let end = eocd;
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (r.u32(locator, 'zip64 locator') !== ZIP64_LOCATOR) r.fail('zip64 locator missing');
    const record = r.u64(locator + 8, 'zip64 record offset');
    if (record + 56 > locator || r.u32(record, 'zip64 record') !== ZIP64_EOCD) {
      r.fail('zip64 end-of-central-directory record missing');
    }
    count = r.u64(record + 32, 'zip64 entry count');
    size = r.u64(record + 40, 'zip64 central directory size');
    offset = r.u64(record + 48, 'zip64 central directory offset');
    end = record;
  }
  if (offset + size > end) {
    r.fail(`the central directory [${offset}, ${offset + size}) overlaps its end record at ${end}`);
  }
  if (count * 46 > size) r.fail(`${count} entries cannot fit a ${size}-byte central directory`);
  return { offset, size, count, end };
}

/** Zip64 extended information (extra field 0x0001): the fields saturated at 0xFFFFFFFF. */
function zip64Fields(
  r: Reader,
  at: number,
  length: number,
  wanted: { usize: boolean; csize: boolean; offset: boolean },
  name: string,
): { usize?: number; csize?: number; offset?: number } {
  const end = at + length;
  for (let p = at; p + 4 <= end;) {
    const id = r.u16(p, 'extra field id');
    const size = r.u16(p + 2, 'extra field size');
    if (p + 4 + size > end) break;
    if (id === 1) {
      const out: { usize?: number; csize?: number; offset?: number } = {};
      let q = p + 4;
      for (const field of ['usize', 'csize', 'offset'] as const) {
        if (!wanted[field]) continue;
        if (q + 8 > p + 4 + size) r.fail(`entry '${name}': zip64 field ${field} missing`);
        out[field] = r.u64(q, `entry '${name}' zip64 ${field}`);
        q += 8;
      }
      return out;
    }
    p += 4 + size;
  }
  return r.fail(`entry '${name}': sizes saturated at 4 GiB but no zip64 extra field`);
}

/** Reads a zip archive's directory; entries are read and verified on demand. */
export function readZip(bytes: Uint8Array, source: string): ZipEntries {
  const r = new Reader(bytes, (what) => {
    throw new Error(`${source}: zip: ${what}`);
  });
  const dir = findDirectory(r);
  const entries: ZipEntries = new Map();
  const dirEnd = dir.offset + dir.size;
  let p = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    if (r.u32(p, `central directory entry ${i}`) !== CENTRAL) {
      r.fail(`central directory entry ${i} at offset ${p} has no signature`);
    }
    const flags = r.u16(p + 8, 'flags');
    const method = r.u16(p + 10, 'method');
    const crc = r.u32(p + 16, 'crc');
    let csize = r.u32(p + 20, 'compressed size');
    let usize = r.u32(p + 24, 'size');
    const nameLength = r.u16(p + 28, 'name length');
    const extraLength = r.u16(p + 30, 'extra length');
    const commentLength = r.u16(p + 32, 'comment length');
    let local = r.u32(p + 42, 'local header offset');
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > dirEnd) r.fail(`central directory entry ${i} runs past the directory`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    if (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff) {
      const wide = zip64Fields(
        r,
        p + 46 + nameLength,
        extraLength,
        { usize: usize === 0xffffffff, csize: csize === 0xffffffff, offset: local === 0xffffffff },
        name,
      );
      usize = wide.usize ?? usize;
      csize = wide.csize ?? csize;
      local = wide.offset ?? local;
    }
    if (entries.has(name)) r.fail(`entry '${name}' appears twice`);
    if (flags & 1) r.fail(`entry '${name}' is encrypted`);
    if (method !== 0 && method !== 8) {
      r.fail(`entry '${name}' uses compression method ${method} (expected stored or deflate)`);
    }
    if (method === 0 ? usize !== csize : usize > DEFLATE_MAX_RATIO * csize + 64) {
      r.fail(`entry '${name}' claims ${usize} bytes from ${csize} stored`);
    }
    entries.set(name, () => readEntry(r, { name, local, csize, usize, method, crc }, dir.offset));
    p = next;
  }
  return entries;
}

function readEntry(
  r: Reader,
  e: { name: string; local: number; csize: number; usize: number; method: number; crc: number },
  dataEnd: number,
): Uint8Array {
  if (r.u32(e.local, `entry '${e.name}' local header`) !== LOCAL) {
    r.fail(`entry '${e.name}': no local header at offset ${e.local}`);
  }
  const start =
    e.local + 30 + r.u16(e.local + 26, 'name length') + r.u16(e.local + 28, 'extra length');
  if (start + e.csize > dataEnd) {
    r.fail(
      `entry '${e.name}': its ${e.csize} bytes at offset ${start} run into the central directory`,
    );
  }
  const stored = r.bytes.subarray(start, start + e.csize);
  let data = stored;
  if (e.method === 8) {
    try {
      // Deflate expands at most DEFLATE_MAX_RATIO-fold, so this stays bounded by the file.
      data = inflateSync(stored);
    } catch (err) {
      r.fail(`entry '${e.name}': cannot inflate (${(err as Error).message})`);
    }
    if (data.length !== e.usize) {
      r.fail(`entry '${e.name}' inflates to ${data.length} bytes, its header says ${e.usize}`);
    }
  }
  if (crc32(data) !== e.crc) r.fail(`entry '${e.name}': CRC-32 mismatch (corrupt file)`);
  return data;
}
