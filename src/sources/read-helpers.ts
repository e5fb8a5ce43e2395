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
