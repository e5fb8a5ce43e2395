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
import { claimNext, type HelperMessage, type HelperRead, type SharedBatch } from './parse-pool';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts must run in a worker thread');

const sources = new Map<AgentId, AgentSource>();

// Intl's first use (time zones, collation: 25–40 ms) is process-wide: a helper the CLI starts early
// pays it while it waits for its first files, so the report does not.
if ((workerData as { warmIntl?: boolean } | undefined)?.warmIntl) {
  Intl.DateTimeFormat().resolvedOptions();
  'a'.localeCompare('b');
}

async function source(agent: AgentId): Promise<AgentSource> {
  let s = sources.get(agent);
  if (!s) {
    const { sourceFor } = await import('./sources');
    sources.set(agent, (s = sourceFor(agent, {})));
  }
  return s;
}

/** Files read but not sent yet, and the buffers their lines are in. */
let pending: { index: number; read: HelperRead }[] = [];
let transfer: ArrayBuffer[] = [];
let pendingBytes = 0;

function flush(batch: number): void {
  if (pending.length === 0) return;
  const m: HelperMessage = { type: 'files', batch, files: pending };
  port?.postMessage(m, transfer);
  pending = [];
  transfer = [];
  pendingBytes = 0;
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
  void (async () => {
    try {
      for (const index of claimNext(new Int32Array(msg.flags), msg.jobs.length)) {
        const j = msg.jobs[index];
        if (!j) continue;
        if (pending.length > 0 && sizeOf(j.file.path) - j.cursor.offset > bigFileBytes) flush(msg.batch);
        if (j.agent === 'claude-code') {
          const lines = collectTranscript(j.file.path, j.cursor, j.options.budgetBytes);
          pending.push({ index, read: { lines } });
          transfer.push(lines.bytes.buffer as ArrayBuffer, lines.ends.buffer as ArrayBuffer);
          pendingBytes += lines.bytes.byteLength;
        } else {
          pending.push({ index, read: { result: (await source(j.agent)).read(j.file, j.fileId, j.cursor, j.state, j.options) } });
        }
        if (pending.length >= groupFiles || pendingBytes >= groupBytes) flush(msg.batch);
      }
      flush(msg.batch);
      const done: HelperMessage = { type: 'done', batch: msg.batch };
      port.postMessage(done);
    } catch (error: unknown) {
      flush(msg.batch);
      const failed: HelperMessage = { type: 'error', batch: msg.batch, error: error instanceof Error ? error.message : String(error) };
      port.postMessage(failed);
    }
  })();
});

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
