/**
 * A parse helper thread: claims files from the back of the batch, reads and parses them, and
 * returns their events. Stateless between batches; the engine owns cursors and state.
 */
import { parentPort } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import type { AgentSource } from '../sources/source';
import { claimBack, type JobResult, type SharedBatch } from './parse-pool';
import { sourceFor } from './sources';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts must run in a worker thread');

const sources = new Map<AgentId, AgentSource>();

port.on('message', (msg: SharedBatch) => {
  try {
    const results: JobResult[] = [];
    for (const index of claimBack(new Int32Array(msg.flags), msg.jobs.length)) {
      const j = msg.jobs[index];
      if (!j) continue;
      let source = sources.get(j.agent);
      if (!source) sources.set(j.agent, (source = sourceFor(j.agent, {})));
      results.push({ index, result: source.read(j.file, j.fileId, j.cursor, j.state, j.options) });
    }
    port.postMessage({ type: 'done', batch: msg.batch, results });
  } catch (error: unknown) {
    port.postMessage({ type: 'error', batch: msg.batch, error: error instanceof Error ? error.message : String(error) });
  }
});
