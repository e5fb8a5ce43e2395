/**
 * The byte filter for Claude Code transcripts: which lines can hold what the meter reads, decided
 * from their bytes before they are decoded (most of a transcript's bytes are records it never
 * reads: snapshots, attachments, request shapes). Its own module so a helper thread that only
 * reads and filters loads nothing else.
 */
import { LineFilterId } from '../../wasm/lines';
import { collectLines, type CollectedLines, type FileCursor, type TailOptions } from '../tail';

const typeKey = Buffer.from('"type":"');
const sideRecordPrefix = Buffer.from('{"type":"');
const wanted = ['assistant"', 'user"', 'system"', 'cost-state"', 'queue-operation"'].map((p) => Buffer.from(p));
const queueOperation = Buffer.from('queue-operation"');
const clearContent = Buffer.from('"content":"/clear');

function startsWithAt(buf: Buffer, at: number, end: number, p: Buffer): boolean {
  if (at + p.length > end) return false;
  for (let i = 0; i < p.length; i++) if (buf[at + i] !== p[i]) return false;
  return true;
}

function wantedAt(buf: Buffer, at: number, end: number): boolean {
  for (const w of wanted) if (startsWithAt(buf, at, end, w)) return true;
  return false;
}

/**
 * Cheap byte filter: only lines that can be one of the records we read become strings.
 * Side records start with their type (`{"type":"api-request-blob",…`, often huge): decided in
 * O(1). Other lines are searched once for `"type":"` followed by a wanted type (false positives
 * are fine, they are parsed and found out).
 */
const chainPrefix = Buffer.from('{"parentUuid":');
const nullValue = Buffer.from('null');
const sidechainKey = Buffer.from(',"isSidechain":');
const trueValue = Buffer.from('true');
const falseValue = Buffer.from('false');
const agentIdKey = Buffer.from(',"agentId":"');
const attachmentKey = Buffer.from(',"attachment":{');

/** Index after a JSON string without escapes starting at `at` (`"…"`), or -1. */
function plainStringEnd(buf: Buffer, at: number, end: number): number {
  if (buf[at] !== 0x22) return -1;
  for (let i = at + 1; i < end; i++) {
    const c = buf[i];
    if (c === 0x22) return i + 1;
    if (c === 0x5c) return -1;
  }
  return -1;
}

/**
 * An attachment record, recognised exactly from its first keys, all at depth 1 (a subagent's carry
 * its `agentId`): `{"parentUuid":null|"…","isSidechain":true|false[,"agentId":"…"],"attachment":{`.
 * Byte comparisons only: this runs on every chain line (tens of thousands).
 */
export function isAttachmentHead(buf: Buffer, start: number, end: number): boolean {
  if (!startsWithAt(buf, start, end, chainPrefix)) return false;
  let at = start + chainPrefix.length;
  if (startsWithAt(buf, at, end, nullValue)) at += nullValue.length;
  else if ((at = plainStringEnd(buf, at, end)) < 0) return false;
  if (!startsWithAt(buf, at, end, sidechainKey)) return false;
  at += sidechainKey.length;
  if (startsWithAt(buf, at, end, trueValue)) at += trueValue.length;
  else if (startsWithAt(buf, at, end, falseValue)) at += falseValue.length;
  else return false;
  if (startsWithAt(buf, at, end, agentIdKey)) {
    at = plainStringEnd(buf, at + agentIdKey.length - 1, end);
    if (at < 0) return false;
  }
  return startsWithAt(buf, at, end, attachmentKey);
}

/**
 * From a line's first bytes: a record `claudeLineFilter` drops whatever follows (a side record of
 * a type we do not read, its name complete in the head; or an attachment). Lets the reader pass
 * over long lines (snapshots, request shapes: tens of MB) without keeping them.
 */
export function claudeLineSkippable(buf: Buffer, start: number, end: number): boolean {
  if (startsWithAt(buf, start, end, sideRecordPrefix)) {
    const at = start + sideRecordPrefix.length;
    const close = buf.indexOf(0x22, at);
    if (close === -1 || close >= end) return false; // the type's name is cut short: undecided
    return !startsWithAt(buf, at, end, queueOperation) && !wantedAt(buf, at, end);
  }
  return isAttachmentHead(buf, start, end);
}

export function claudeLineFilter(buf: Buffer, start: number, end: number): boolean {
  if (startsWithAt(buf, start, end, sideRecordPrefix)) {
    // A queue-operation matters only when it queues `/clear`.
    if (startsWithAt(buf, start + sideRecordPrefix.length, end, queueOperation)) return buf.subarray(start, end).indexOf(clearContent) !== -1;
    return wantedAt(buf, start + sideRecordPrefix.length, end);
  }
  // Chain records: attachments (prompt snapshots, tool listings: most of a transcript's bytes)
  // never hold usage; the rest are user, assistant and system records — kept without a search.
  if (startsWithAt(buf, start, end, chainPrefix)) return !isAttachmentHead(buf, start, end);
  const view = buf.subarray(start, end);
  let at = view.indexOf(typeKey);
  while (at !== -1) {
    if (wantedAt(view, at + typeKey.length, view.length)) return true;
    at = view.indexOf(typeKey, at + typeKey.length);
  }
  return false;
}

/** Transcripts are read through the byte filter (Connect's spool is not). */
export const transcriptFilter: TailOptions = { filter: claudeLineFilter, skipHead: claudeLineSkippable, wasmFilter: LineFilterId.Claude };

/** What a helper keeps of one file at most; the calling thread reads the rest of a bigger one itself. */
export const collectLimitBytes = 32 * 1024 * 1024;

/**
 * A transcript's new lines that pass the filter, kept as bytes (for a helper thread; the source's
 * `parseCollected` parses them): at most about `collectLimitBytes` of them (`tail.stopped` then;
 * the rest is read from `tail.cursor`).
 */
export function collectTranscript(path: string, cursor: FileCursor, budgetBytes: number | undefined): CollectedLines {
  return collectLines(path, cursor, { ...transcriptFilter, budgetBytes, stopAfterBytes: collectLimitBytes });
}
