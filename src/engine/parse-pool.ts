/**
 * Parallel file reading for cold scans: helper threads read and parse whole files, the engine
 * folds their events in the global file order (so fork copies meet their originals first).
 * The calling thread parses its share too, so N cores use N-1 helpers.
 */
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import type { DiscoveredFile, ReadOptions, ReadResult } from '../sources/source';
import type { FileCursor } from '../sources/tail';

export interface ReadJob {
  file: DiscoveredFile;
  fileId: number;
  cursor: FileCursor;
  state: unknown;
  options: ReadOptions;
}

export interface JobResult {
  fileId: number;
  result: ReadResult<unknown>;
}

type HelperMessage = { type: 'done'; batch: number; results: JobResult[] } | { type: 'error'; batch: number; error: string };

export class ParsePool {
  private readonly workers: Worker[] = [];
  private batch = 0;
  private readonly waiting = new Map<number, { resolve: (r: JobResult[]) => void; reject: (e: Error) => void }>();

  /** `helperPath`: the bundled parse-worker.js (or its tsc output in tests). */
  constructor(helperPath: string, helpers: number) {
    if (!fs.existsSync(helperPath)) return;
    for (let i = 0; i < helpers; i++) {
      const w = new Worker(helperPath, { name: `taximeter-parse-${i}` });
      w.on('message', (m: HelperMessage) => {
        const p = this.waiting.get(m.batch);
        if (!p) return;
        this.waiting.delete(m.batch);
        if (m.type === 'done') p.resolve(m.results);
        else p.reject(new Error(m.error));
      });
      w.on('error', (error) => {
        for (const [, p] of this.waiting) p.reject(error);
        this.waiting.clear();
      });
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Read jobs on helper `index`. */
  run(index: number, agent: AgentId, jobs: ReadJob[]): Promise<JobResult[]> {
    const w = this.workers[index];
    if (!w) return Promise.reject(new Error('no such helper'));
    const batch = ++this.batch;
    return new Promise((resolve, reject) => {
      this.waiting.set(batch, { resolve, reject });
      w.postMessage({ batch, agent, jobs });
    });
  }

  dispose(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
