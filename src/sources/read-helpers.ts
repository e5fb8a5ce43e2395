/**
 * The two ways a source reads a file:
 * - `readJsonl`: append-only JSONL, through `tailFile` (byte offsets; only new lines are parsed).
 * - `readDocument`: a JSON document the agent rewrites whole (Cline `ui_messages.json`, Gemini's
 *   older session files): read again when its size, mtime or inode change; the meter's uid,
 *   dedupe and upsert keep a re-read from counting anything twice.
 */
import * as fs from 'node:fs';
import { OutcomeSink, type RecordOutcome } from './outcome';
import { emptyHealth, type ReadOptions, type ReadResult } from './source';
import { tailFile, type FileCursor, type LineFilter } from './tail';

export function readJsonl<S>(
  file: string,
  cursor: FileCursor,
  state: S,
  initial: () => S,
  options: ReadOptions,
  parse: (line: string, state: S) => RecordOutcome,
  filter?: LineFilter,
): ReadResult<S> {
  const sink = new OutcomeSink(file, emptyHealth(), []);
  let current = structuredClone(state);
  const tail = tailFile(file, cursor, (line) => sink.add(parse(line, current)), {
    filter,
    budgetBytes: options.budgetBytes,
    onRestart: () => {
      current = initial();
    },
  });
  const { health, problems } = sink;
  health.skipped += tail.filtered;
  health.malformed += tail.malformed;
  health.oversized += tail.oversized;
  health.bytesRead += tail.bytesRead;
  if (tail.malformed > 0) problems.push({ path: file, message: `${tail.malformed} line(s) that are not JSON objects skipped` });
  if (tail.oversized > 0) problems.push({ path: file, message: `${tail.oversized} oversized line(s) skipped` });
  if (tail.status === 'unreadable') {
    health.unreadableFiles++;
    problems.push({ path: file, message: tail.error ?? 'unreadable' });
  }
  return { events: sink.events, cursor: tail.cursor, state: current, health, problems, restarted: tail.status === 'rewritten', missing: tail.status === 'missing' };
}

export type DocumentRead =
  | { status: 'unchanged' | 'missing'; cursor: FileCursor }
  | { status: 'unreadable'; cursor: FileCursor; error: string }
  | { status: 'read'; cursor: FileCursor; text: string; bytes: number };

/** Longest document read whole (bytes); a larger one is reported, not read. */
export const maxDocumentBytes = 256 * 1024 * 1024;

/** Read a whole document when it changed since `cursor` (size, mtime or inode). */
export function readDocument(file: string, cursor: FileCursor): DocumentRead {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing', cursor };
    return { status: 'unreadable', cursor, error: String(error) };
  }
  if (!st.isFile()) return { status: 'unreadable', cursor, error: 'not a file' };
  if (st.size === cursor.size && st.mtimeMs === cursor.mtimeMs && st.ino === cursor.ino) return { status: 'unchanged', cursor };
  if (st.size > maxDocumentBytes) return { status: 'unreadable', cursor, error: `larger than ${maxDocumentBytes} bytes` };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error: unknown) {
    return { status: 'unreadable', cursor, error: String(error) };
  }
  return { status: 'read', cursor: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, offset: st.size }, text, bytes: Buffer.byteLength(text) };
}

/** A document source's read: parse the document when it changed, count what happened. */
/** `readWholeDocument` for a JSON document: text that is not JSON (still being written?) is counted as malformed. */
export function readJsonDocument<S>(file: string, cursor: FileCursor, state: S, parse: (doc: unknown, sink: OutcomeSink, state: S) => S): ReadResult<S> {
  return readWholeDocument(file, cursor, state, (text, sink, s) => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      sink.add({ status: 'malformed', events: [], reason: 'not JSON (being written?)' });
      return s;
    }
    return parse(doc, sink, s);
  });
}

export function readWholeDocument<S>(
  file: string,
  cursor: FileCursor,
  state: S,
  parse: (text: string, sink: OutcomeSink, state: S) => S,
): ReadResult<S> {
  const sink = new OutcomeSink(file, emptyHealth(), []);
  const doc = readDocument(file, cursor);
  let next = state;
  if (doc.status === 'unreadable') {
    sink.health.unreadableFiles++;
    sink.problems.push({ path: file, message: doc.error });
  } else if (doc.status === 'read') {
    sink.health.bytesRead += doc.bytes;
    next = parse(doc.text, sink, structuredClone(state));
  }
  return {
    events: sink.events,
    cursor: doc.cursor,
    state: next,
    health: sink.health,
    problems: sink.problems,
    restarted: false,
    missing: doc.status === 'missing',
  };
}

const maxChunkBytes = 64 * 1024 * 1024;

/**
 * A stream of JSON objects written one after another, pretty-printed (not one per line), and
 * appended to: the OpenTelemetry file exporter's output. Reads from the cursor, hands each
 * complete top-level object to `onObject` (as text) when `wanted` finds one of its markers, and
 * stops after the last complete object: one being written is read next time. Bytes between
 * objects that are not an object are skipped and counted.
 */
export function readConcatenatedObjects(
  file: string,
  cursor: FileCursor,
  wanted: readonly string[],
  onObject: (text: string) => void,
): { status: 'read' | 'unchanged' | 'missing' | 'unreadable' | 'rewritten'; cursor: FileCursor; bytesRead: number; skippedBytes: number; objects: number; error?: string } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (error: unknown) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { status: missing ? 'missing' : 'unreadable', cursor, bytesRead: 0, skippedBytes: 0, objects: 0, error: String(error) };
  }
  const rewritten = st.size < cursor.offset || (cursor.ino !== 0 && st.ino !== cursor.ino);
  const start = rewritten ? 0 : cursor.offset;
  if (!rewritten && st.size === cursor.size && st.mtimeMs === cursor.mtimeMs) return { status: 'unchanged', cursor, bytesRead: 0, skippedBytes: 0, objects: 0 };
  const length = Math.min(st.size - start, maxChunkBytes);
  const buf = Buffer.alloc(length);
  try {
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buf, 0, length, start);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error: unknown) {
    return { status: 'unreadable', cursor, bytesRead: 0, skippedBytes: 0, objects: 0, error: String(error) };
  }
  const markers = wanted.map((w) => Buffer.from(w));
  let pos = 0;
  let consumed = 0;
  let skipped = 0;
  let objects = 0;
  while (pos < length) {
    const c = buf[pos];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      pos++;
      consumed = pos;
      continue;
    }
    if (c !== 0x7b) {
      // Not an object: skip to the next line that starts one.
      const next = buf.indexOf('\n{', pos);
      const to = next === -1 ? length : next + 1;
      skipped += to - pos;
      pos = to;
      consumed = pos;
      continue;
    }
    // Bytes of multi-byte UTF-8 characters never look like `{`, `}`, `"` or `\`.
    let depth = 0;
    let inString = false;
    let end = -1;
    for (let i = pos; i < length; i++) {
      const b = buf[i];
      if (inString) {
        if (b === 0x5c) i++;
        else if (b === 0x22) inString = false;
      } else if (b === 0x22) inString = true;
      else if (b === 0x7b) depth++;
      else if (b === 0x7d && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end === -1) break; // being written: read it next time
    const slice = buf.subarray(pos, end);
    if (markers.some((m) => slice.indexOf(m) !== -1)) onObject(slice.toString('utf8'));
    objects++;
    pos = end;
    consumed = pos;
  }
  return {
    status: rewritten ? 'rewritten' : 'read',
    cursor: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, offset: start + consumed },
    bytesRead: length,
    skippedBytes: skipped,
    objects,
  };
}
