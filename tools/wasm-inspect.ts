/**
 * A small WebAssembly binary reader that answers the questions that decide whether the
 * webnets kernels module may share the tfjs WASM backend's memory: what it imports, and
 * whether it writes memory it does not own — data segments (copied into memory at
 * instantiation) or a C stack (every stack frame goes through the `__stack_pointer`
 * global, so any global.get/global.set in the code means a stack is in use).
 *
 * It decodes every instruction of every function body (MVP, SIMD, bulk memory and
 * atomics opcodes) rather than pattern-matching bytes, so a stray 0x23 inside an
 * immediate is not mistaken for a global access.
 */

export interface MemoryImport {
  module: string;
  name: string;
  shared: boolean;
  minPages: number;
  maxPages: number | null;
}

export interface WasmFacts {
  imports: {
    module: string;
    name: string;
    kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  }[];
  memoryImport: MemoryImport | null;
  definesMemory: boolean;
  exports: string[];
  dataSegments: number;
  hasStart: boolean;
  globalAccesses: number;
  bulkDataOps: number;
  functions: number;
  /** SIMD (0xfd-prefixed) opcodes used. */
  simdOpcodes: Set<number>;
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {}
  byte(): number {
    const b = this.bytes[this.pos++];
    if (b === undefined) throw new Error(`wasm: unexpected end of module at byte ${this.pos - 1}`);
    return b;
  }
  /** An unsigned or signed LEB128 number, skipped or read as a JS number. */
  leb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }
  skip(n: number): void {
    this.pos += n;
  }
  name(): string {
    const len = this.leb();
    const text = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return text;
  }
  limits(): { flags: number; min: number; max: number | null } {
    const flags = this.byte();
    const min = this.leb();
    const max = flags & 1 ? this.leb() : null;
    return { flags, min, max };
  }
}

const IMPORT_KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

/** Skips one instruction's immediates; counts global accesses and data-segment ops. */
function skipInstruction(r: Reader, facts: WasmFacts): void {
  const op = r.byte();
  const memarg = (): void => {
    r.leb();
    r.leb();
  };
  if (op === 0x23 || op === 0x24) {
    facts.globalAccesses++;
    r.leb();
  } else if (op >= 0x02 && op <= 0x04)
    r.leb(); // block type
  else if (op === 0x0c || op === 0x0d || op === 0x10 || (op >= 0x20 && op <= 0x22)) r.leb();
  else if (op === 0x25 || op === 0x26 || op === 0x3f || op === 0x40 || op === 0xd2) r.leb();
  else if (op === 0x0e) {
    const n = r.leb();
    for (let i = 0; i <= n; i++) r.leb();
  } else if (op === 0x11) {
    r.leb();
    r.leb();
  } else if (op === 0x1c) r.skip(r.leb());
  else if (op >= 0x28 && op <= 0x3e) memarg();
  else if (op === 0x41 || op === 0x42) r.leb();
  else if (op === 0x43) r.skip(4);
  else if (op === 0x44) r.skip(8);
  else if (op === 0xd0) r.skip(1);
  else if (op === 0xfc) {
    const sub = r.leb();
    if (sub === 8 || sub === 9) facts.bulkDataOps++;
    if (sub === 8) {
      r.leb();
      r.skip(1);
    } else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) r.leb();
    else if (sub === 10) r.skip(2);
    else if (sub === 11) r.skip(1);
    else if (sub === 12 || sub === 14) {
      r.leb();
      r.leb();
    } else if (sub > 17) throw new Error(`wasm: unknown 0xfc opcode ${sub} at byte ${r.pos}`);
  } else if (op === 0xfd) {
    const sub = r.leb();
    facts.simdOpcodes.add(sub);
    if (sub <= 11 || sub === 92 || sub === 93) memarg();
    else if (sub === 12 || sub === 13) r.skip(16);
    else if (sub >= 21 && sub <= 34) r.skip(1);
    else if (sub >= 84 && sub <= 91) {
      memarg();
      r.skip(1);
    }
  } else if (op === 0xfe) {
    const sub = r.leb();
    if (sub === 3) r.skip(1);
    else memarg();
  } else if (!(
    op <= 0x01 ||
    op === 0x05 ||
    op === 0x0b ||
    op === 0x0f ||
    op === 0x1a ||
    op === 0x1b
  )) {
    if (!(op >= 0x45 && op <= 0xc4) && op !== 0xd1) {
      throw new Error(`wasm: unknown opcode 0x${op.toString(16)} at byte ${r.pos - 1}`);
    }
  }
}

function readCode(r: Reader, end: number, facts: WasmFacts): void {
  const count = r.leb();
  for (let f = 0; f < count; f++) {
    const size = r.leb();
    const bodyEnd = r.pos + size;
    const localGroups = r.leb();
    for (let i = 0; i < localGroups; i++) {
      r.leb();
      r.byte();
    }
    while (r.pos < bodyEnd) skipInstruction(r, facts);
    if (r.pos !== bodyEnd) throw new Error(`wasm: function ${f} body overran its size`);
  }
  if (r.pos !== end) throw new Error('wasm: code section size mismatch');
}

export function inspectWasm(bytes: Uint8Array): WasmFacts {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (!magic.every((b, i) => bytes[i] === b))
    throw new Error('wasm: not a version-1 WebAssembly module');
  const facts: WasmFacts = {
    imports: [],
    memoryImport: null,
    definesMemory: false,
    exports: [],
    dataSegments: 0,
    hasStart: false,
    globalAccesses: 0,
    bulkDataOps: 0,
    functions: 0,
    simdOpcodes: new Set(),
  };
  const r = new Reader(bytes, 8);
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.leb();
    const end = r.pos + size;
    if (id === 2) {
      const n = r.leb();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kind = IMPORT_KINDS[r.byte()];
        if (kind === undefined) throw new Error(`wasm: unknown import kind for ${module}.${name}`);
        facts.imports.push({ module, name, kind });
        if (kind === 'function' || kind === 'tag') r.leb();
        else if (kind === 'table') {
          r.byte();
          r.limits();
        } else if (kind === 'global') r.skip(2);
        else {
          const { flags, min, max } = r.limits();
          facts.memoryImport = {
            module,
            name,
            shared: (flags & 2) !== 0,
            minPages: min,
            maxPages: max,
          };
        }
      }
    } else if (id === 3) facts.functions = r.leb();
    else if (id === 5) facts.definesMemory = r.leb() > 0;
    else if (id === 7) {
      const n = r.leb();
      for (let i = 0; i < n; i++) {
        facts.exports.push(r.name());
        r.byte();
        r.leb();
      }
    } else if (id === 8) facts.hasStart = true;
    else if (id === 10) readCode(r, end, facts);
    else if (id === 11) facts.dataSegments = r.leb();
    r.pos = end;
  }
  return facts;
}

/**
 * Throws unless the module can run inside another module's memory: it imports exactly
 * `env.memory` (shared or not, as asked, with limits any tfjs memory satisfies), defines
 * no memory, has no data segments, start function, data-segment ops or global accesses
 * (and no leftover relaxed-SIMD prototype opcode, which no engine accepts).
 */
export function checkGuestModule(bytes: Uint8Array, label: string, shared: boolean): WasmFacts {
  const facts = inspectWasm(bytes);
  const problems: string[] = [];
  const mem = facts.memoryImport;
  if (facts.imports.length !== 1 || !mem || mem.module !== 'env' || mem.name !== 'memory') {
    problems.push(`imports must be exactly env.memory, got ${JSON.stringify(facts.imports)}`);
  } else {
    if (mem.shared !== shared) problems.push(`memory must be ${shared ? '' : 'un'}shared`);
    if (mem.minPages !== 0)
      problems.push(`memory import must declare min 0 pages, got ${mem.minPages}`);
    if (shared && mem.maxPages !== 65536)
      problems.push(`shared memory max must be 65536 pages (tfjs'), got ${mem.maxPages}`);
    if (!shared && mem.maxPages !== null)
      problems.push(`unshared memory must declare no max, got ${mem.maxPages}`);
  }
  if (facts.definesMemory) problems.push('defines its own memory');
  if (facts.dataSegments > 0)
    problems.push(`has ${facts.dataSegments} data segment(s) (static data)`);
  if (facts.bulkDataOps > 0) problems.push('uses memory.init/data.drop');
  if (facts.hasStart) problems.push('has a start function');
  if (facts.globalAccesses > 0) {
    problems.push(
      `accesses globals ${facts.globalAccesses} time(s): a C stack frame (address-taken local or array)`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`${label}: unsafe to share tfjs' memory: ${problems.join('; ')}`);
  }
  return facts;
}

/** f32x4.relaxed_madd (0xfd 0x105): the relaxed-SIMD builds' FMA. */
export const RELAXED_MADD = 0x105;
