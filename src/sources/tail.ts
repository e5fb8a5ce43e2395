/**
 * Incremental, byte-offset JSONL reading shared by every agent source.
 *
 * - Only appended bytes are read: a cursor remembers (size, mtime, inode, offset).
 * - A half-written last line is left for the next read (the offset stops before it), so it is
 *   never parsed twice and never lost. An unterminated tail that is already a complete JSON object
 *   is taken (a writer that died before its newline); the newline that may follow is an empty line.
 * - A file that shrank or was replaced (new inode) is read again from the start; the meter's
 *   line and response dedupe keeps that from counting anything twice.
 * - Lines are offered to a cheap byte filter before they become strings, so records that cannot
 *   hold usage (hundreds of MB of snapshots) cost a memchr, not a JSON.parse.
 */
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import { lineScanner, type LineFilterId } from '../wasm/lines';
import type { KnownStat } from './source';

export interface FileCursor {
  size: number;
  mtimeMs: number;
  ino: number;
  /** Bytes consumed: the end of the last complete line handled. */
  offset: number;
}

/** Says whether a raw line is worth decoding; must be cheap and may have false positives. */
export type LineFilter = (buf: Buffer, start: number, end: number) => boolean;

/**
 * Says, from a line's first bytes (at least `headBytes` of them), that the filter would drop the
 * line whatever follows: a long line is then passed over without being kept in memory.
 */
export type HeadSkip = (buf: Buffer, start: number, end: number) => boolean;

/** Bytes a HeadSkip is shown (fewer only when the line is shorter). */
export const headBytes = 256;

export type TailStatus = 'unchanged' | 'read' | 'rewritten' | 'missing' | 'unreadable' | 'not-a-file';

export interface TailResult {
  status: TailStatus;
  cursor: FileCursor;
  bytesRead: number;
  lines: number;
  /** Lines the filter skipped without decoding. */
  filtered: number;
  /** Lines longer than the limit: consumed, counted, not parsed. */
  oversized: number;
  /** Lines that cannot be a JSON object (do not start with `{` and end with `}`): counted, not decoded. */
  malformed: number;
  /** Stopped early (`stopAfterBytes`): the cursor is at the end of the last line handed over. */
  stopped?: boolean;
  error?: string;
}

export interface TailOptions {
  filter?: LineFilter;
  /** Must agree with `filter`: a line it skips is one the filter drops. */
  skipHead?: HeadSkip;
  /** Longest line decoded (bytes); longer ones are skipped and counted. */
  maxLineBytes?: number;
  /** Read at most this many bytes now (the rest next time); for chunked cold scans. */
  budgetBytes?: number;
  /**
   * Stop after the line with which the lines handed over reach this many bytes (the rest is read
   * next time): bounds what a caller that keeps the lines holds.
   */
  stopAfterBytes?: number;
  /** Called before any line when the file is read again from the start. */
  onRestart?: () => void;
  /**
   * `filter`'s twin in the wasm line scanner (src/wasm/lines.ts): when WebAssembly is available,
   * the lines inside a chunk are judged by it, all in one call (the same verdicts, tested); a line
   * that spans chunks still goes through `filter`.
   */
  wasmFilter?: LineFilterId;
  /** The file's stat, taken moments ago by the caller (a regular file): not taken again. */
  knownStat?: KnownStat;
}

/** Small enough to stay in the processor's cache between the read and the parse of its lines. */
const chunkSize = 512 * 1024;
let sharedBuffer: Buffer | undefined;

export function emptyCursor(): FileCursor {
  return { size: 0, mtimeMs: 0, ino: 0, offset: 0 };
}

const openBrace = 0x7b;
const closeBrace = 0x7d;

/** Whether the bytes can be a JSON object: `{` … `}` (surrounding blanks and a CR allowed). */
function objectShaped(buf: Buffer, start: number, end: number): boolean {
  let s = start;
  let e = end - 1;
  while (s <= e && (buf[s] === 0x20 || buf[s] === 0x09)) s++;
  while (e >= s && (buf[e] === 0x20 || buf[e] === 0x09 || buf[e] === 0x0d)) e--;
  return s < e && buf[s] === openBrace && buf[e] === closeBrace;
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** Decode a line; pure-ASCII lines (most) take the much faster latin1 path. */
export function decodeLine(buf: Buffer, start: number, end: number): string {
  const view = buf.subarray(start, end);
  return isAscii(view) ? view.toString('latin1') : view.toString('utf8');
}

function looksLikeCompleteObject(text: string): boolean {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read what was appended to `path` since `cursor` and hand each complete line to `onLine`.
 * Synchronous on purpose: it runs in the scanner worker or the CLI, never on the extension host.
 */
export function tailFile(path: string, cursor: FileCursor, onLine: (line: string) => void, options: TailOptions = {}): TailResult {
  return tailRaw(path, cursor, (buf, start, end) => onLine(decodeLine(buf, start, end)), options);
}

/**
 * The lines `tailRaw` would hand over, kept: line i is `bytes[i ? ends[i-1] : 0, ends[i])`. One
 * buffer, so a helper thread can pass a file's lines on without copying them.
 */
export interface CollectedLines {
  tail: TailResult;
  bytes: Uint8Array;
  ends: Int32Array;
}

/**
 * Where `collectLines` gathers a file's lines before copying them out at their exact size: one
 * per thread, reused. A buffer of its own per file (64 KB at least) made a cold scan of 2,717
 * files allocate 195 MB for 45 MB of lines, and the calling thread, which receives them, collected
 * garbage for the difference (V8 counts ArrayBuffers as external memory and marks the heap when
 * they pile up).
 */
const scratchStart = 64 * 1024;
/** A scratch buffer grown past this for one big file is let go afterwards. */
const scratchKeep = 4 * 1024 * 1024;
let scratchBytes: Buffer | undefined;
let scratchEnds: Int32Array | undefined;

/** `tailRaw`, collecting the lines instead of handing them over one by one (for a helper thread). */
export function collectLines(path: string, cursor: FileCursor, options: TailOptions = {}): CollectedLines {
  let bytes = scratchBytes ?? Buffer.allocUnsafeSlow(scratchStart);
  let used = 0;
  let ends = scratchEnds ?? new Int32Array(256);
  let count = 0;
  const tail = tailRaw(
    path,
    cursor,
    (buf, start, end) => {
      const n = end - start;
      if (used + n > bytes.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(2 * bytes.length, used + n));
        bytes.copy(grown, 0, 0, used);
        bytes = grown;
      }
      buf.copy(bytes, used, start, end);
      used += n;
      if (count === ends.length) {
        const more = new Int32Array(2 * ends.length);
        more.set(ends);
        ends = more;
      }
      ends[count++] = used;
    },
    options,
  );
  scratchBytes = bytes.length <= scratchKeep ? bytes : undefined;
  scratchEnds = ends.length * 4 <= scratchKeep ? ends : undefined;
  // Exact-size copies with buffers of their own (allocUnsafeSlow: not slices of Node's shared pool), so they can be transferred.
  const out = Buffer.allocUnsafeSlow(used);
  bytes.copy(out, 0, 0, used);
  return { tail, bytes: new Uint8Array(out.buffer, 0, used), ends: ends.slice(0, count) };
}

/** Where `replayLines` hands lines over: an object, so the loop calls one method whoever reads. */
export interface LineSink {
  onBytes(buf: Buffer, start: number, end: number): void;
}

/** Hand each collected line to `sink.onBytes`, as `tailRaw` would have handed it to its callback. */
export function replayLines(lines: CollectedLines, sink: LineSink): void {
  const buf = Buffer.from(lines.bytes.buffer, lines.bytes.byteOffset, lines.bytes.byteLength);
  let start = 0;
  for (const end of lines.ends) {
    sink.onBytes(buf, start, end);
    start = end;
  }
}

/**
 * `tailFile` handing over each line as bytes (`buf[start, end)`, valid only during the call), for
 * parsers that read bytes; the same lines, cursor and counts.
 */
export function tailRaw(path: string, cursor: FileCursor, onRaw: (buf: Buffer, start: number, end: number) => void, options: TailOptions): TailResult {
  const result: TailResult = { status: 'unchanged', cursor: { ...cursor }, bytesRead: 0, lines: 0, filtered: 0, oversized: 0, malformed: 0 };
  let st: KnownStat;
  if (options.knownStat) st = options.knownStat;
  else {
    let stats: fs.Stats;
    try {
      stats = fs.statSync(path);
    } catch (error: unknown) {
      result.status = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
      result.error = String(error);
      return result;
    }
    if (!stats.isFile()) {
      result.status = 'not-a-file';
      return result;
    }
    st = stats;
  }
  let start = cursor.offset;
  const replaced = cursor.ino !== 0 && st.ino !== cursor.ino;
  if (st.size < cursor.offset || replaced) {
    start = 0;
    result.status = 'rewritten';
    options.onRestart?.();
  }
  if (st.size === start && !replaced && st.size === cursor.size) {
    result.cursor = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, offset: start };
    return result;
  }
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (error: unknown) {
    // Gone since it was stat'ed (here, or by discovery: `knownStat`): missing, as a failed stat says.
    result.status = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    result.error = String(error);
    return result;
  }
  const maxLine = options.maxLineBytes ?? 64 * 1024 * 1024;
  const filter = options.filter;
  const skipHead = options.skipHead;
  const end = options.budgetBytes !== undefined ? Math.min(st.size, start + options.budgetBytes) : st.size;
  const scanner = options.wasmFilter !== undefined ? lineScanner() : undefined;
  const wasmFilter = options.wasmFilter ?? 0;
  const buf = scanner ? scanner.chunk : (sharedBuffer ??= Buffer.allocUnsafe(chunkSize));
  let pos = start;
  /** Pieces of a line that spans chunk boundaries. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingStart = start;
  let oversizedLine = false;
  /** The line being passed over was dropped by its head (a filtered line, not an oversized one). */
  let skippedByHead = false;
  const stopAfter = options.stopAfterBytes ?? Infinity;
  let handed = 0;
  try {
    while (pos < end && !result.stopped) {
      const want = Math.min(buf.length, end - pos);
      const n = fs.readSync(fd, buf, 0, want, pos);
      if (n <= 0) break;
      result.bytesRead += n;
      let lineStart = 0;
      for (;;) {
        if (scanner && pendingBytes === 0 && !oversizedLine) {
          // The rest of the chunk's complete lines, judged in one call.
          const kept = scanner.scan(lineStart, n, maxLine, stopAfter - handed, wasmFilter);
          const starts = scanner.keptStart;
          const ends = scanner.keptEnd;
          for (let k = 0; k < kept; k++) {
            const s = starts[k] ?? 0;
            const e = ends[k] ?? 0;
            handed += e - s;
            onRaw(buf, s, e);
          }
          result.lines += kept;
          result.filtered += scanner.filtered;
          result.malformed += scanner.malformed;
          result.oversized += scanner.oversized;
          lineStart = scanner.next;
          if (scanner.stopped) {
            result.stopped = true;
            break;
          }
          if (scanner.full) continue;
          break;
        }
        const nl = buf.indexOf(10, lineStart);
        if (nl === -1 || nl >= n) break;
        if (pendingBytes > 0 || oversizedLine) {
          if (skippedByHead) result.filtered++;
          else if (!oversizedLine && pendingBytes + nl - lineStart <= maxLine) {
            pending.push(Buffer.from(buf.subarray(lineStart, nl)));
            const whole = Buffer.concat(pending);
            if (!objectShaped(whole, 0, whole.length)) {
              if (!isBlank(whole, 0, whole.length)) result.malformed++;
            } else if (!filter || filter(whole, 0, whole.length)) {
              result.lines++;
              handed += whole.length;
              onRaw(whole, 0, whole.length);
            } else result.filtered++;
          } else result.oversized++;
          pending = [];
          pendingBytes = 0;
          oversizedLine = false;
          skippedByHead = false;
        } else if (nl > lineStart) {
          if (nl - lineStart > maxLine) result.oversized++;
          else if (!objectShaped(buf, lineStart, nl)) {
            if (!isBlank(buf, lineStart, nl)) result.malformed++;
          } else if (!filter || filter(buf, lineStart, nl)) {
            result.lines++;
            handed += nl - lineStart;
            onRaw(buf, lineStart, nl);
          } else result.filtered++;
        }
        lineStart = nl + 1;
        if (handed >= stopAfter) {
          result.stopped = true;
          break;
        }
      }
      const consumedTo = pos + lineStart;
      if (result.stopped) {
        // What was read past the stop is read again next time: counted then.
        result.bytesRead -= pos + n - consumedTo;
        result.cursor.offset = consumedTo;
        break;
      }
      if (lineStart < n) {
        // The rest of this chunk is an unfinished line: keep it until its newline arrives —
        // unless its first bytes already say it is dropped: then pass over it, keeping nothing.
        const rest = n - lineStart;
        if (pendingBytes === 0 && !oversizedLine) {
          pendingStart = consumedTo;
          if (skipHead && rest >= headBytes && skipHead(buf, lineStart, n)) oversizedLine = skippedByHead = true;
        }
        if (oversizedLine) {
          // Passed over (oversized or dropped by its head) until its newline.
        } else if (pendingBytes + rest <= maxLine) {
          pending.push(Buffer.from(buf.subarray(lineStart, n)));
          pendingBytes += rest;
        } else {
          oversizedLine = true;
          pending = [];
          pendingBytes = 0;
        }
      } else {
        pendingStart = consumedTo;
      }
      result.cursor.offset = pendingBytes > 0 || oversizedLine ? pendingStart : consumedTo;
      pos += n;
    }
    if (pendingBytes > 0 && pos >= st.size) {
      const tail = Buffer.concat(pending);
      if (looksLikeCompleteObject(tail.toString('utf8'))) {
        result.lines++;
        onRaw(tail, 0, tail.length);
        result.cursor.offset = pos;
      }
    }
  } catch (error: unknown) {
    result.status = 'unreadable';
    result.error = String(error);
  } finally {
    fs.closeSync(fd);
  }
  if (result.status === 'unchanged') result.status = 'read';
  result.cursor.size = st.size;
  result.cursor.mtimeMs = st.mtimeMs;
  result.cursor.ino = st.ino;
  return result;
}
