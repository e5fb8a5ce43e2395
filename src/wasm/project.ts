/**
 * JSON projection: the values of a few keys of a JSON line, found by a validating wasm scanner
 * (project.c) instead of building the whole object with JSON.parse. On a cold scan most of a
 * transcript line is metadata nobody reads; the scanner checks every byte against the JSON grammar
 * but creates only the values asked for.
 *
 * The contract, tested against JSON.parse on every fixture line and on fuzzed ones: when `scan`
 * returns true the line is valid JSON (JSON.parse would succeed) and `get(slot)` equals the value
 * JSON.parse gives at that key's path (undefined when absent; the last of duplicate keys). When
 * it returns false, the caller uses JSON.parse. Values that are neither plain strings nor small
 * whole numbers, booleans or null are decoded by JSON.parse from their own bytes, so they are
 * exact by construction. No WebAssembly (or a module that fails to load): no projector, the
 * callers use JSON.parse.
 */
import { projectWasmBase64 } from './project-wasm';
import { instantiateWasm } from './instantiate';

/** A tree of keys to find: `{ message: { usage: { input_tokens: true } } }`. */
export interface KeyTree {
  [key: string]: KeyTree | true;
}

/** The key tree of dotted paths (`message.usage.input_tokens`), in their order; a path may also name a container. */
export function keyTree(paths: readonly string[]): KeyTree {
  interface Node {
    [key: string]: Node;
  }
  const root: Node = {};
  for (const path of paths) {
    let node = root;
    for (const key of path.split('.')) node = node[key] ??= {};
  }
  const finish = (n: Node): KeyTree => Object.fromEntries(Object.entries(n).map(([k, v]) => [k, Object.keys(v).length === 0 ? true : finish(v)]));
  return finish(root);
}

/** Value kinds, as project.c records them. */
const Kind = { Absent: 0, Plain: 1, String: 2, Int: 3, Number: 4, True: 5, False: 6, Null: 7, Object: 8, Array: 9 } as const;

interface WasmExports {
  memory: { buffer: ArrayBuffer };
  add_slot(parent: number, at: number, len: number): number;
  project(len: number): number;
  input(): number;
  max_input(): number;
  key_arena(): number;
  key_arena_size(): number;
  max_slots(): number;
  slot_kind(): number;
  slot_start(): number;
  slot_end(): number;
  slot_num(): number;
  slot_version(): number;
}

export class Projector {
  private readonly x: WasmExports;
  private readonly mem: Buffer;
  private readonly inputAt: number;
  private readonly maxInput: number;
  private readonly kind: Int32Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly num: Float64Array;
  /** Per slot: the version of its last plain string (project.c), the version decoded last, and that string. */
  private readonly version: Uint32Array;
  private readonly decodedVersion: Uint32Array;
  private readonly decoded: string[];
  private readonly slots = new Map<string, number>();
  /** Buffer's own latin1 decoder (what `toString('latin1')` calls after checking its arguments). */
  private readonly latin1: (from: number, to: number) => string;

  /** Throws when the module cannot be loaded or the tree does not fit (64 keys, 2 KB of names). */
  constructor(tree: KeyTree, wasm: Uint8Array = Buffer.from(projectWasmBase64, 'base64')) {
    const x = instantiateWasm<WasmExports>(wasm);
    this.x = x;
    // The module's memory is fixed (no growth), so these views stay valid.
    const buf = x.memory.buffer;
    this.mem = Buffer.from(buf);
    const mem = this.mem as Buffer & { latin1Slice?: (from: number, to: number) => string };
    this.latin1 = typeof mem.latin1Slice === 'function' ? mem.latin1Slice.bind(mem) : (from, to) => mem.toString('latin1', from, to);
    this.inputAt = x.input();
    this.maxInput = x.max_input();
    const n = x.max_slots();
    this.kind = new Int32Array(buf, x.slot_kind(), n);
    this.start = new Int32Array(buf, x.slot_start(), n);
    this.end = new Int32Array(buf, x.slot_end(), n);
    this.num = new Float64Array(buf, x.slot_num(), n);
    this.version = new Uint32Array(buf, x.slot_version(), n);
    // Never a version seen before the first decode (it would take 2^32 − 1 changes of the slot).
    this.decodedVersion = new Uint32Array(n).fill(0xffffffff);
    this.decoded = new Array<string>(n).fill('');
    const arenaAt = x.key_arena();
    const arenaSize = x.key_arena_size();
    let used = 0;
    const register = (parent: number, prefix: string, t: KeyTree): void => {
      for (const [key, sub] of Object.entries(t)) {
        const bytes = Buffer.from(key);
        if (used + bytes.length > arenaSize) throw new Error('key names do not fit');
        this.mem.set(bytes, arenaAt + used);
        const slot = x.add_slot(parent, used, bytes.length);
        used += bytes.length;
        if (slot < 0) throw new Error(`cannot register ${prefix}${key}`);
        this.slots.set(prefix + key, slot);
        if (sub !== true) register(slot, `${prefix}${key}.`, sub);
      }
    };
    register(-1, '', tree);
  }

  /** The slot of a registered path (`message.usage.input_tokens`). */
  slot(path: string): number {
    const s = this.slots.get(path);
    if (s === undefined) throw new Error(`${path} is not registered`);
    return s;
  }

  /** Scan one line: true when it is a valid JSON object and the slots describe it. */
  scan(buf: Buffer, from: number, to: number): boolean {
    const len = to - from;
    if (len > this.maxInput) return false;
    buf.copy(this.mem, this.inputAt, from, to);
    return this.x.project(len) === 1;
  }

  /** Whether the last line scanned had an object at `slot`. */
  isObject(slot: number): boolean {
    return this.kind[slot] === Kind.Object;
  }

  /**
   * The value at `slot` in the last line scanned, as JSON.parse would give it (undefined when
   * absent). Containers are decoded whole from their bytes; a caller that wants only the registered
   * keys of an object builds it from them (see `isObject`).
   */
  get(slot: number): unknown {
    const at = this.inputAt;
    switch (this.kind[slot]) {
      case Kind.Absent:
        return undefined;
      case Kind.Plain: {
        // The same bytes as the last time this slot's string was decoded: the same string.
        const version = this.version[slot] ?? 0;
        if (this.decodedVersion[slot] === version) return this.decoded[slot];
        const s = this.latin1(at + (this.start[slot] ?? 0) + 1, at + (this.end[slot] ?? 0) - 1);
        this.decodedVersion[slot] = version;
        this.decoded[slot] = s;
        return s;
      }
      case Kind.Int: {
        // Read from a Float64Array, a number is a heap-allocated double even when whole; the same
        // value from JSON.parse is a small integer. Code that saw both kept being deoptimised
        // ("not a Smi") and recompiled: a whole number that fits 31 bits is made a small integer.
        const v = this.num[slot] ?? 0;
        return v <= 0x3fffffff ? v | 0 : v;
      }
      case Kind.True:
        return true;
      case Kind.False:
        return false;
      case Kind.Null:
        return null;
      default:
        break;
    }
    return JSON.parse(this.mem.toString('utf8', at + (this.start[slot] ?? 0), at + (this.end[slot] ?? 0))) as unknown;
  }

  /**
   * The array at `slot` (of the last line scanned) as a list of objects that hold only the keys
   * `names`: per element, each of them that it has, with the value JSON.parse gives (of duplicate
   * keys, the last). The rest of each element — a tool's output, often most of a line — is
   * stepped over, not built. Undefined when the slot is not an array, an element is not an
   * object, or a key is written with escapes (callers use `get` then).
   */
  objectsOf(slot: number, names: readonly string[]): Record<string, unknown>[] | undefined {
    if (this.kind[slot] !== Kind.Array) return undefined;
    const m = this.mem;
    const at = this.inputAt;
    // The scanner has checked the whole line against the JSON grammar: only its shape is read here
    // (and nothing past the array: a position beyond it gives up, so a flaw cannot run away).
    const end = at + (this.end[slot] ?? 0);
    let i = skipBlanks(m, at + (this.start[slot] ?? 0) + 1, end);
    const out: Record<string, unknown>[] = [];
    if (m[i] === 0x5d) return out;
    for (;;) {
      if (i >= end || m[i] !== 0x7b) return undefined;
      i = skipBlanks(m, i + 1, end);
      const o: Record<string, unknown> = {};
      if (m[i] !== 0x7d)
        for (;;) {
          const keyEnd = stringEnd(m, i + 1, end);
          if (keyEnd < 0 || hasEscape(m, i + 1, keyEnd)) return undefined;
          const name = nameAt(m, i + 1, keyEnd, names);
          i = skipBlanks(m, skipBlanks(m, keyEnd + 1, end) + 1, end);
          const valueEnd = valueEndAt(m, i, end);
          if (valueEnd < 0) return undefined;
          if (name !== undefined) o[name] = decodeValue(m, i, valueEnd);
          i = skipBlanks(m, valueEnd, end);
          if (i >= end || m[i] !== 0x2c) break;
          i = skipBlanks(m, i + 1, end);
        }
      if (i >= end) return undefined;
      out.push(o);
      i = skipBlanks(m, i + 1, end);
      if (i >= end || m[i] !== 0x2c) return out;
      i = skipBlanks(m, i + 1, end);
    }
  }
}

/** The index of the first byte at or after `i` (before `end`) that is not a JSON blank. */
function skipBlanks(m: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const c = m[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
  }
  return end;
}

/**
 * The index of the quote that ends a string whose first byte is at `i` (-1: none before `end`):
 * found with the buffer's own search (most of a tool's output is long strings), skipping quotes an
 * odd run of backslashes escapes.
 */
function stringEnd(m: Buffer, i: number, end: number): number {
  for (let from = i; ; ) {
    const q = m.indexOf(0x22, from);
    if (q < 0 || q >= end) return -1;
    let b = q - 1;
    while (b >= i && m[b] === 0x5c) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    from = q + 1;
  }
}

/** Whether m[from, to) holds a backslash. */
function hasEscape(m: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (m[k] === 0x5c) return true;
  return false;
}

/** Which of `names` (ASCII) the key in m[from, to) is, if any. */
function nameAt(m: Buffer, from: number, to: number, names: readonly string[]): string | undefined {
  for (const name of names) {
    if (to - from !== name.length) continue;
    let k = 0;
    while (k < name.length && m[from + k] === name.charCodeAt(k)) k++;
    if (k === name.length) return name;
  }
  return undefined;
}

/** The index just after the JSON value that starts at `i` (-1: it does not end before `end`). */
function valueEndAt(m: Buffer, i: number, end: number): number {
  const c = m[i];
  if (c === 0x22) {
    const q = stringEnd(m, i + 1, end);
    return q < 0 ? -1 : q + 1;
  }
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    while (i < end) {
      const d = m[i];
      if (d === 0x22) {
        const q = stringEnd(m, i + 1, end);
        if (q < 0) return -1;
        i = q + 1;
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number or a literal: up to the next delimiter.
  for (; i < end; i++) {
    const d = m[i];
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) return i;
  }
  return -1;
}

/** The JSON value in m[from, to), as JSON.parse gives it (a string without escapes or non-ASCII bytes is read directly). */
function decodeValue(m: Buffer, from: number, to: number): unknown {
  if (m[from] === 0x22) {
    let plain = true;
    for (let k = from + 1; k < to - 1; k++) {
      const c = m[k] ?? 0;
      if (c === 0x5c || c >= 0x80) {
        plain = false;
        break;
      }
    }
    if (plain) return m.toString('latin1', from + 1, to - 1);
  }
  return JSON.parse(m.toString('utf8', from, to)) as unknown;
}

/** A projector for `tree`, or undefined where WebAssembly is not available (callers use JSON.parse). */
export function createProjector(tree: KeyTree): Projector | undefined {
  try {
    return new Projector(tree);
  } catch {
    return undefined;
  }
}
