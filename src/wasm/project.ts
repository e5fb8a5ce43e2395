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
}

/** A projector for `tree`, or undefined where WebAssembly is not available (callers use JSON.parse). */
export function createProjector(tree: KeyTree): Projector | undefined {
  try {
    return new Projector(tree);
  } catch {
    return undefined;
  }
}
