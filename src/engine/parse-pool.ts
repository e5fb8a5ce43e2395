/**
 * Parallel file reading for cold scans. The calling thread and the helpers take files from one
 * shared list (an atomic counter: whoever is free takes the next file, so a thread that got the
 * 200 MB snapshot file does not hold the others up); the engine folds the results in the global
 * file order afterwards (so fork copies meet their originals first).
 */
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import type { DiscoveredFile, ReadOptions, ReadResult } from '../sources/source';
import type { FileCursor } from '../sources/tail';

export interface ReadJob {
  agent: AgentId;
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

/** To a helper: read jobs, taking each index from the shared counter. */
export interface SharedBatch {
  batch: number;
  jobs: ReadJob[];
  counter: SharedArrayBuffer;
}

type HelperMessage = { type: 'done'; batch: number; results: JobResult[] } | { type: 'error'; batch: number; error: string };

/** A counter shared by the threads of one batch. */
export function newCounter(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

/** The next unclaimed job index (each index is handed out once, to one thread). */
export function claim(counter: SharedArrayBuffer): number {
  return Atomics.add(new Int32Array(counter), 0, 1);
}

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

  /** Helper `index` takes jobs from `counter` until none is left; resolves with what it read. */
  run(index: number, jobs: ReadJob[], counter: SharedArrayBuffer): Promise<JobResult[]> {
    const w = this.workers[index];
    if (!w) return Promise.reject(new Error('no such helper'));
    const batch = ++this.batch;
    return new Promise((resolve, reject) => {
      this.waiting.set(batch, { resolve, reject });
      const message: SharedBatch = { batch, jobs, counter };
      w.postMessage(message);
    });
  }

  dispose(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
