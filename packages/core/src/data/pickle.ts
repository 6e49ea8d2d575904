/**
 * A minimal Python pickle reader (protocols 2-5), enough for the CIFAR-100 Python distribution: dicts,
 * lists, tuples, ints, floats, str/bytes, and NumPy arrays (`numpy.core.multiarray._reconstruct`). It
 * never executes anything: only the globals listed below are understood, others are an error.
 */

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<string, PickleValue>
  | NdArray
  | PickleGlobal
  | PickleDtype;

export interface NdArray {
  kind: 'ndarray';
  shape: number[];
  /** NumPy type string, e.g. `u1`, `<i8`. */
  dtype: string;
  /** Raw C-order bytes. */
  data: Uint8Array;
}
interface PickleGlobal {
  kind: 'global';
  name: string;
}
interface PickleDtype {
  kind: 'dtype';
  descr: string;
  order: string;
}

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

const latin1 = (b: Uint8Array) => new TextDecoder('latin1').decode(b);
const utf8 = (b: Uint8Array) => new TextDecoder('utf-8').decode(b);

function isObj<K extends string>(v: unknown, kind: K): v is { kind: K } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Uint8Array) &&
    !Array.isArray(v) &&
    !(v instanceof Map) &&
    (v as { kind?: string }).kind === kind
  );
}

/** Dict keys as strings (Python 2 str keys arrive as bytes). */
function key(k: PickleValue): string {
  if (typeof k === 'string') return k;
  if (k instanceof Uint8Array) return latin1(k);
  return String(k);
}

export function parsePickle(buf: Uint8Array, source = '<pickle>'): PickleValue {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg} at byte ${pos}`);
  };
  const need = (n: number) => {
    if (pos + n > buf.length) fail('truncated pickle');
  };
  const u8 = () => (need(1), buf[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = () => (need(8), (pos += 8), Number(view.getBigUint64(pos - 8, true)));
  const bytes = (n: number) => (need(n), (pos += n), buf.subarray(pos - n, pos));
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated line');
    const s = latin1(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) return fail('stack underflow');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no MARK');
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const top = () => stack[stack.length - 1];
  const global = (module: string, name: string): PickleGlobal => ({
    kind: 'global',
    name: `${module}.${name}`,
  });

  const reduce = (fn: PickleValue, args: PickleValue): PickleValue => {
    if (!isObj(fn, 'global') || !Array.isArray(args)) return fail('REDUCE on a non-global');
    const g = (fn as PickleGlobal).name;
    if (g.endsWith('multiarray._reconstruct'))
      return { kind: 'ndarray', shape: [], dtype: '', data: new Uint8Array() };
    if (g.endsWith('numeric._frombuffer')) {
      // Protocol 5: _frombuffer(buffer, dtype, shape, order)
      const [data, dtype, shape, order] = args;
      if (!(data instanceof Uint8Array) || !isObj(dtype, 'dtype') || !Array.isArray(shape))
        return fail('bad _frombuffer arguments');
      if (order === 'F') return fail('Fortran-order arrays are not supported');
      const d = dtype as PickleDtype;
      return {
        kind: 'ndarray',
        shape: shape.map(Number),
        dtype: `${d.order === '|' ? '' : d.order}${d.descr}`,
        data,
      };
    }
    if (g === 'numpy.dtype') return { kind: 'dtype', descr: key(args[0]), order: '|' };
    if (g === '_codecs.encode') return Uint8Array.from(key(args[0]), (c) => c.charCodeAt(0) & 0xff);
    return fail(`unsupported global '${g}'`);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64();
        break; // FRAME
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break;
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x8a: {
        // LONG1
        const b = bytes(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v,
        );
        break;
      }
      case 0x47:
        stack.push((need(8), (pos += 8), view.getFloat64(pos - 8, false)));
        break; // BINFLOAT
      case 0x55:
        stack.push(bytes(u8()));
        break; // SHORT_BINSTRING (py2 str)
      case 0x54:
        stack.push(bytes(u32()));
        break; // BINSTRING
      case 0x43:
        stack.push(bytes(u8()));
        break; // SHORT_BINBYTES
      case 0x42:
        stack.push(bytes(u32()));
        break; // BINBYTES
      case 0x8e:
        stack.push(bytes(u64()));
        break; // BINBYTES8
      case 0x96:
        stack.push(bytes(u64()));
        break; // BYTEARRAY8
      case 0x8c:
        stack.push(utf8(bytes(u8())));
        break; // SHORT_BINUNICODE
      case 0x58:
        stack.push(utf8(bytes(u32())));
        break; // BINUNICODE
      case 0x8d:
        stack.push(utf8(bytes(u64())));
        break; // BINUNICODE8
      case 0x71:
        memo.set(u8(), top() as PickleValue);
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top() as PickleValue);
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top() as PickleValue);
        break; // MEMOIZE
      case 0x68:
        stack.push(memo.get(u8()) ?? fail('bad memo'));
        break; // BINGET
      case 0x6a:
        stack.push(memo.get(u32()) ?? fail('bad memo'));
        break; // LONG_BINGET
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        (top() as PickleValue[]).push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        (top() as PickleValue[]).push(...items);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        (top() as Map<string, PickleValue>).set(key(k), v);
        break;
      } // SETITEM
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top() as Map<string, PickleValue>;
        for (let i = 0; i + 1 < items.length; i += 2) d.set(key(items[i]), items[i + 1]);
        break;
      }
      case 0x64: {
        const items = popMark();
        const d = new Map<string, PickleValue>();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(key(items[i]), items[i + 1]);
        stack.push(d);
        break;
      } // DICT
      case 0x63: {
        const m = line();
        stack.push(global(m, line()));
        break;
      } // GLOBAL
      case 0x93: {
        const n = pop();
        const m = pop();
        stack.push(global(key(m), key(n)));
        break;
      } // STACK_GLOBAL
      case 0x52: {
        const args = pop();
        stack.push(reduce(pop(), args));
        break;
      } // REDUCE
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (isObj(obj, 'ndarray') && Array.isArray(state)) {
          const [, shape, dtype, , data] = state;
          const a = obj as NdArray;
          a.shape = (shape as number[]).map(Number);
          a.dtype = isObj(dtype, 'dtype')
            ? `${(dtype as PickleDtype).order === '|' ? '' : (dtype as PickleDtype).order}${(dtype as PickleDtype).descr}`
            : '';
          a.data =
            data instanceof Uint8Array
              ? data
              : typeof data === 'string'
                ? Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)
                : fail('ndarray data is not bytes');
        } else if (isObj(obj, 'dtype') && Array.isArray(state)) {
          (obj as PickleDtype).order = key(state[1]);
        } else fail('BUILD on an unsupported object');
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)}`);
    }
  }
}
