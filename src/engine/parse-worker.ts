/**
 * A parse helper thread: claims the next free file of the batch, reads it and sends what it kept,
 * a few files per message. A Claude Code transcript's filtered lines go in one transferred buffer
 * (the calling thread parses them); a file of another agent is read whole and its events are sent. Stateless
 * between batches; the engine owns cursors and state. Only the byte filter is loaded at start, so
 * the helper is reading while the calling thread is still discovering files.
 */
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import { collectTranscript } from '../sources/claude-code/filter';
import type { AgentSource } from '../sources/source';
import type * as HelperSources from './helper-sources';
import { claimNext, transcriptJob, type HelperMessage, type HelperRead, type SharedBatch } from './parse-pool';
import { threadCpuMs } from './thread-cpu';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts must run in a worker thread');

const sources = new Map<AgentId, AgentSource>();

// The first ArrayBuffer a thread detaches (this helper transfers every file's lines) makes V8 drop
// all of that thread's optimised code that reads typed arrays: it had assumed no buffer is ever
// detached. Detaching a throwaway one now, before any code is hot, means the reading code is
// optimised once instead of twice (measured: ten functions recompiled after the first send).
{
  const b = new ArrayBuffer(8);
  structuredClone(b, { transfer: [b] });
}

// Intl's first use (time zones, collation: 25–40 ms) is process-wide: a helper the CLI starts early
// pays it while it waits for its first files, so the report does not.
if ((workerData as { warmIntl?: boolean } | undefined)?.warmIntl) {
  Intl.DateTimeFormat().resolvedOptions();
  'a'.localeCompare('b');
}

function source(agent: AgentId): AgentSource {
  let s = sources.get(agent);
  if (!s) {
    // A plain require: the bundle keeps it as one (dist/helper-sources.js, next to this file).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { sourceFor } = require('./helper-sources') as typeof HelperSources;
    sources.set(agent, (s = sourceFor(agent, {})));
  }
  return s;
}

/** One batch's files read but not sent yet, and the buffers their lines are in. */
class Outbox {
  files: { index: number; read: HelperRead }[] = [];
  transfer: ArrayBuffer[] = [];
  bytes = 0;
  constructor(private readonly batch: number) {}

  add(index: number, read: HelperRead): void {
    this.files.push({ index, read });
    if ('lines' in read) {
      this.transfer.push(read.lines.bytes.buffer as ArrayBuffer, read.lines.ends.buffer as ArrayBuffer);
      this.bytes += read.lines.bytes.byteLength;
    }
  }

  flush(): void {
    if (this.files.length === 0) return;
    const m: HelperMessage = { type: 'files', batch: this.batch, files: this.files, cpuMs: threadCpuMs() };
    port?.postMessage(m, this.transfer);
    this.files = [];
    this.transfer = [];
    this.bytes = 0;
  }
}

/**
 * Files are sent in small groups (up to 32 files or 256 KB of lines): a message costs the calling
 * thread tens of microseconds whatever it carries. A group is sent at once when the next file is
 * a big one (reading it takes a while) and when the batch is done.
 */
const groupFiles = 32;
const groupBytes = 256 * 1024;
const bigFileBytes = 4 * 1024 * 1024;

port.on('message', (msg: SharedBatch) => {
  const out = new Outbox(msg.batch);
  try {
    const whole = new Map(msg.whole);
    for (const index of claimNext(new Int32Array(msg.flags), msg.transcripts.length)) {
      const path = msg.transcripts[index];
      if (path) {
        const { cursor, budgetBytes, sizeHint } = transcriptJob(msg, index);
        if (out.files.length > 0 && (sizeHint ?? sizeOf(path)) - cursor.offset > bigFileBytes) out.flush();
        out.add(index, { lines: collectTranscript(path, cursor, budgetBytes) });
      } else {
        const j = whole.get(index);
        if (!j) continue;
        if (out.files.length > 0 && sizeOf(j.file.path) - j.cursor.offset > bigFileBytes) out.flush();
        out.add(index, { result: source(j.agent).read(j.file, j.fileId, j.cursor, j.state, j.options) });
      }
      if (out.files.length >= groupFiles || out.bytes >= groupBytes) out.flush();
    }
    out.flush();
    const done: HelperMessage = { type: 'done', batch: msg.batch, cpuMs: threadCpuMs() };
    port.postMessage(done);
  } catch (error: unknown) {
    out.flush();
    const failed: HelperMessage = { type: 'error', batch: msg.batch, error: error instanceof Error ? error.message : String(error) };
    port.postMessage(failed);
  }
});

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
