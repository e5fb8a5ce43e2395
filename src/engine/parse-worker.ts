/**
 * A parse helper thread: claims the next free file of the batch, reads it and sends what it kept
 * at once. A Claude Code transcript's filtered lines go in one transferred buffer (the calling
 * thread parses them); a file of another agent is read whole and its events are sent. Stateless
 * between batches; the engine owns cursors and state. Only the byte filter is loaded at start, so
 * the helper is reading while the calling thread is still discovering files.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import { collectTranscript } from '../sources/claude-code/filter';
import type { AgentSource } from '../sources/source';
import { claimNext, type HelperMessage, type SharedBatch } from './parse-pool';

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

port.on('message', (msg: SharedBatch) => {
  void (async () => {
    try {
      for (const index of claimNext(new Int32Array(msg.flags), msg.jobs.length)) {
        const j = msg.jobs[index];
        if (!j) continue;
        if (j.agent === 'claude-code') {
          const lines = collectTranscript(j.file.path, j.cursor, j.options.budgetBytes);
          const m: HelperMessage = { type: 'file', batch: msg.batch, index, read: { lines } };
          port.postMessage(m, [lines.bytes.buffer as ArrayBuffer, lines.ends.buffer as ArrayBuffer]);
        } else {
          const m: HelperMessage = { type: 'file', batch: msg.batch, index, read: { result: (await source(j.agent)).read(j.file, j.fileId, j.cursor, j.state, j.options) } };
          port.postMessage(m);
        }
      }
      const done: HelperMessage = { type: 'done', batch: msg.batch };
      port.postMessage(done);
    } catch (error: unknown) {
      const failed: HelperMessage = { type: 'error', batch: msg.batch, error: error instanceof Error ? error.message : String(error) };
      port.postMessage(failed);
    }
  })();
});
