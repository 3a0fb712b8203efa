/**
 * A restricted unpickler for PyTorch state dicts.
 *
 * A checkpoint is untrusted input: Python's pickle can call any importable function.
 * This one implements only the opcodes that state dicts use (protocols 2–4, Python 2
 * strings included, as the 2018 FD-MobileNet checkpoints were written by Python 2) and
 * resolves only the globals in `ALLOWED_GLOBALS`; any other opcode or global is refused
 * with an error that names it. Nothing is ever executed.
 */

/** A Python tuple (kept apart from lists so that reducers can tell them apart). */
export class PyTuple extends Array<PyValue> {}

/** A reference to a Python global that the caller allowed, e.g. `torch.FloatStorage`. */
export interface PyGlobal {
  kind: 'global';
  module: string;
  name: string;
}

/** A dict with non-string keys allowed, as Python's; `state` holds what BUILD attached. */
export class PyDict extends Map<PyValue, PyValue> {
  state: PyValue = null;
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyDict
  | PyGlobal
  | { kind: 'object'; value: unknown };

export interface UnpickleOptions {
  /** Fully qualified global names (`module.name`) that may appear. */
  allowedGlobals: ReadonlySet<string>;
  /** Calls an allowed global with its arguments (REDUCE / NEWOBJ). */
  reduce: (fn: PyGlobal, args: PyValue[]) => PyValue;
  /** Resolves a persistent id (torch storages). */
  persistentLoad: (pid: PyValue) => PyValue;
  /** For error messages. */
  source: string;
}

export interface UnpickleResult {
  value: PyValue;
  /** Offset just past the STOP opcode (legacy checkpoints hold several pickles in a row). */
  end: number;
}

/** A short description of a value for error messages: never walks into lists or dicts. */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 60)}…` : v}'`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `bytes of length ${v.length}`;
  if (v instanceof PyTuple) return `a tuple of ${v.length}`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof PyDict) return `a dict of ${v.size}`;
  if (v.kind === 'global') return `the global ${v.module}.${v.name}`;
  return 'an object';
}

const textDecoder = new TextDecoder('utf-8');
const latin1Decoder = new TextDecoder('latin1');

export function unpickle(bytes: Uint8Array, offset: number, opts: UnpickleOptions): UnpickleResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  /** Where each open MARK is in `stack` (Python's metastack), so popping to it is O(items). */
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = offset;

  const fail = (what: string): never => {
    throw new Error(`${opts.source}: ${what} (pickle offset ${pos})`);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length)
      fail('the file ends inside a pickle: it is truncated or not a checkpoint');
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated line');
    const s = latin1Decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const floor = (): number => marks[marks.length - 1] ?? 0;
  const pop = (): PyValue => {
    if (stack.length <= floor()) fail('stack underflow');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length <= floor()) fail('stack underflow');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const at = marks.pop();
    if (at === undefined) fail('MARK not found');
    return stack.splice(at!);
  };
  const tuple = (items: PyValue[]): PyTuple => {
    const t = new PyTuple();
    for (const item of items) t.push(item);
    return t;
  };
  const global = (module: string, name: string): PyGlobal => {
    const qualified = `${module}.${name}`;
    if (!opts.allowedGlobals.has(qualified)) {
      fail(
        `refusing the Python global '${qualified}': a state dict needs only tensors, storages and ` +
          'OrderedDict. Save just the state dict (torch.save(model.state_dict(), path)) and convert that',
      );
    }
    return { kind: 'global', module, name };
  };
  const callable = (fn: PyValue): PyGlobal => {
    if (fn === null || typeof fn !== 'object' || !('kind' in fn) || fn.kind !== 'global') {
      return fail('REDUCE on something that is not an allowed global');
    }
    return fn;
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    const dict = target as PyDict;
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
  };
  const append = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target) || target instanceof PyTuple)
      fail('APPEND(S) on something that is not a list');
    for (const item of items) (target as PyValue[]).push(item);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (marks.length > 0) fail('STOP inside an open MARK');
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const n = u8();
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(v)
            : v,
        );
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(textDecoder.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(textDecoder.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(textDecoder.decode(take(u64())));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        stack.push(latin1Decoder.decode(take(u8())));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(latin1Decoder.decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`memo key ${key} is missing`);
        stack.push(memo.get(key)!);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = callable(pop());
        if (!(args instanceof PyTuple))
          fail(`REDUCE of '${fn.module}.${fn.name}' without an argument tuple`);
        stack.push(opts.reduce(fn, [...(args as PyTuple)]));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = callable(pop());
        stack.push(opts.reduce(cls, args instanceof PyTuple ? [...args] : []));
        break;
      }
      case 0x62: {
        // BUILD: attach state; dicts keep it aside (OrderedDict._metadata), others ignore it
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) obj.state = state;
        break;
      }
      case 0x51: // BINPERSID
        stack.push(opts.persistentLoad(pop()));
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} — not a state dict`);
    }
  }
}
