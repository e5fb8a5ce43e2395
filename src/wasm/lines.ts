/**
 * The wasm line scanner (lines.c): judges all the complete lines of a chunk in one call, with the
 * verdicts of tail.ts and of Claude Code's byte filter (filter.ts), which stay the specification
 * (a unit test compares them on fixtures and fuzzed chunks). No WebAssembly, or a module that
 * fails to load: no scanner, and tail.ts judges line by line in JavaScript.
 */
import { linesWasmBase64 } from './lines-wasm';
import { instantiateWasm } from './instantiate';

interface LinesExports {
  memory: { buffer: ArrayBuffer };
  chunk(): number;
  chunk_size(): number;
  kept_start(): number;
  kept_end(): number;
  max_kept(): number;
  scan(from: number, n: number, maxLine: number, budget: number, filter: number): number;
  next(): number;
  filtered(): number;
  malformed(): number;
  oversized(): number;
  stopped(): number;
  full(): number;
}

/** Which lines a scan keeps: every object-shaped one, or those Claude Code's transcript filter keeps. */
export const LineFilterId = { Objects: 0, Claude: 1 } as const;
export type LineFilterId = (typeof LineFilterId)[keyof typeof LineFilterId];

export class LineScanner {
  /** Where a chunk is read to (the module's own memory: fixed, so this view stays valid). */
  readonly chunk: Buffer;
  /** Kept line k is chunk[keptStart[k], keptEnd[k]) (newline excluded), for k below what `scan` returned. */
  readonly keptStart: Int32Array;
  readonly keptEnd: Int32Array;
  private readonly x: LinesExports;

  constructor(wasm: Uint8Array = Buffer.from(linesWasmBase64, 'base64')) {
    const x = instantiateWasm<LinesExports>(wasm);
    this.x = x;
    const buf = x.memory.buffer;
    this.chunk = Buffer.from(buf, x.chunk(), x.chunk_size());
    this.keptStart = new Int32Array(buf, x.kept_start(), x.max_kept());
    this.keptEnd = new Int32Array(buf, x.kept_end(), x.max_kept());
  }

  /**
   * Judge the complete lines of chunk[from, n) in order: returns how many it kept. It stops after
   * the kept line with which the kept bytes reach `budget` (`stopped`), or when its list is full
   * (`full`: call again from `next`). The bytes after the last newline are not judged.
   */
  scan(from: number, n: number, maxLine: number, budget: number, filter: LineFilterId): number {
    return this.x.scan(from, n, Math.min(maxLine, 0x7fffffff), budget, filter);
  }

  /** Where the first line the last scan did not judge starts. */
  get next(): number {
    return this.x.next();
  }
  get filtered(): number {
    return this.x.filtered();
  }
  get malformed(): number {
    return this.x.malformed();
  }
  get oversized(): number {
    return this.x.oversized();
  }
  get stopped(): boolean {
    return this.x.stopped() !== 0;
  }
  get full(): boolean {
    return this.x.full() !== 0;
  }
}

let shared: LineScanner | null | undefined = null;

/** This thread's scanner (made at first use), or undefined where WebAssembly is not available. */
export function lineScanner(): LineScanner | undefined {
  if (shared === null) {
    try {
      shared = new LineScanner();
    } catch {
      shared = undefined;
    }
  }
  return shared;
}
