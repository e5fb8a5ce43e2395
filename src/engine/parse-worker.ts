/**
 * A parse helper thread: reads and parses the files it is given, returns their events.
 * Stateless between batches; the engine owns cursors and state.
 */
import { parentPort } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import type { AgentSource } from '../sources/source';
import type { JobResult, ReadJob } from './parse-pool';
import { sourceFor } from './sources';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts must run in a worker thread');

const sources = new Map<AgentId, AgentSource>();

port.on('message', (msg: { batch: number; agent: AgentId; jobs: ReadJob[] }) => {
  try {
    let source = sources.get(msg.agent);
    if (!source) sources.set(msg.agent, (source = sourceFor(msg.agent, {})));
    const results: JobResult[] = msg.jobs.map((j) => ({ fileId: j.fileId, result: source.read(j.file, j.fileId, j.cursor, j.state, j.options) }));
    port.postMessage({ type: 'done', batch: msg.batch, results });
  } catch (error: unknown) {
    port.postMessage({ type: 'error', batch: msg.batch, error: error instanceof Error ? error.message : String(error) });
  }
});
