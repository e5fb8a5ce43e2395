/**
 * A parse helper thread: takes files from the batch's shared counter, reads and parses them, and
 * returns their events. Stateless between batches; the engine owns cursors and state.
 */
import { parentPort } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import type { AgentSource } from '../sources/source';
import { claim, type JobResult, type SharedBatch } from './parse-pool';
import { sourceFor } from './sources';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts must run in a worker thread');

const sources = new Map<AgentId, AgentSource>();

port.on('message', (msg: SharedBatch) => {
  try {
    const results: JobResult[] = [];
    for (let i = claim(msg.counter); i < msg.jobs.length; i = claim(msg.counter)) {
      const j = msg.jobs[i];
      if (!j) continue;
      let source = sources.get(j.agent);
      if (!source) sources.set(j.agent, (source = sourceFor(j.agent, {})));
      results.push({ fileId: j.fileId, result: source.read(j.file, j.fileId, j.cursor, j.state, j.options) });
    }
    port.postMessage({ type: 'done', batch: msg.batch, results });
  } catch (error: unknown) {
    port.postMessage({ type: 'error', batch: msg.batch, error: error instanceof Error ? error.message : String(error) });
  }
});
