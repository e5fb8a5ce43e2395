/**
 * The extension host's handle on the scanner worker: typed requests with replies, and status
 * events. If the worker dies it is restarted (with backoff) and the status bar warns meanwhile.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { GroupBy } from '../core/aggregate';
import type { ExportFormat } from '../core/export';
import type { PanelScope, PanelState } from '../core/panel-state';
import type { WorkBy } from '../core/tasks';
import type { Report } from '../core/report';
import type { EngineHealth } from '../engine/engine';
import type { EngineSettings, FromWorker, ToWorker } from '../engine/worker-protocol';
import { describe, type Log } from './log';
import { threadCpuMs } from '../engine/thread-cpu';

export type StatusMessage = Extract<FromWorker, { type: 'status' }>;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** Requests without their id; the client adds it. */
type Request = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

export class EngineClient implements vscode.Disposable {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly statusEmitter = new vscode.EventEmitter<StatusMessage>();
  private readonly failureEmitter = new vscode.EventEmitter<string>();
  readonly onStatus = this.statusEmitter.event;
  readonly onFailure = this.failureEmitter.event;
  private settings: EngineSettings | undefined;
  private restarts = 0;
  private disposed = false;
  lastStatus: StatusMessage | undefined;
  /** Longest time one worker message kept the extension host busy (ms): Taximeter's own share of any event-loop block. */
  longestHandlerMs = 0;
  /**
   * The CPU time (ms) of the host's thread during that longest handler, where Node can tell: far
   * below the wall time means the thread was preempted, not running our code. (The kernel accounts
   * it per scheduler tick, a few ms: telling for a long handler, not for a short one.)
   */
  longestHandlerCpuMs: number | undefined;

  constructor(
    private readonly workerPath: string,
    private readonly log: Log,
  ) {}

  start(settings: EngineSettings): void {
    this.settings = settings;
    this.spawn();
  }

  private spawn(): void {
    if (this.disposed || !this.settings) return;
    const w = new Worker(this.workerPath, { name: 'taximeter-scanner' });
    this.worker = w;
    w.on('message', (msg: FromWorker) => {
      const t0 = performance.now();
      const cpu0 = threadCpuMs();
      this.onMessage(msg);
      const ms = performance.now() - t0;
      if (ms > this.longestHandlerMs) {
        this.longestHandlerMs = ms;
        const cpu1 = threadCpuMs();
        this.longestHandlerCpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
      }
    });
    w.on('error', (error) => {
      this.log.error(`scanner worker failed: ${describe(error)}`);
      this.failureEmitter.fire(describe(error));
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = undefined;
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('scanner stopped'));
      }
      this.pending.clear();
      if (this.disposed) return;
      this.log.warn(`scanner worker exited (${code}); restarting`);
      this.failureEmitter.fire(`scanner exited (${code})`);
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      setTimeout(() => this.spawn(), delay);
    });
    void this.request({ type: 'start', settings: this.settings }).then(
      (r) => this.log.info(`scanner started ${JSON.stringify(r)}`),
      (error: unknown) => this.log.error(`scanner start failed: ${describe(error)}`),
    );
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(msg.error));
        return;
      }
      case 'status':
        this.restarts = 0;
        this.lastStatus = msg;
        this.statusEmitter.fire(msg);
        return;
      case 'log':
        if (msg.level === 'error') this.log.error(msg.message);
        else if (msg.level === 'warn') this.log.warn(msg.message);
        else this.log.info(msg.message);
        return;
    }
  }

  request(msg: Request, timeoutMs = 60_000): Promise<unknown> {
    const w = this.worker;
    if (!w) return Promise.reject(new Error('scanner not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`scanner did not answer ${msg.type} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      w.postMessage({ ...msg, id });
    });
  }

  configure(settings: EngineSettings): void {
    this.settings = settings;
    void this.request({ type: 'configure', settings }).catch((error: unknown) => this.log.warn(`configure: ${describe(error)}`));
  }

  async report(options: { since?: number; until?: number; by?: GroupBy } = {}): Promise<Report> {
    return (await this.request({ type: 'report', ...options })) as Report;
  }

  async panelState(scope: PanelScope): Promise<PanelState> {
    return (await this.request({ type: 'panelState', scope })) as PanelState;
  }

  async export(by: WorkBy, format: ExportFormat, options: { since?: number; until?: number; taskIds?: string[] } = {}): Promise<{ content: string; rows: number }> {
    const r = (await this.request({ type: 'export', by, format, ...options }, 120_000)) as { content: string; rows: number };
    return { content: r.content, rows: r.rows };
  }

  async health(): Promise<EngineHealth> {
    return (await this.request({ type: 'health' })) as EngineHealth;
  }

  async refresh(paths?: string[]): Promise<boolean> {
    return (await this.request({ type: 'refresh', paths })) as boolean;
  }

  dispose(): void {
    this.disposed = true;
    const w = this.worker;
    if (w) {
      void this.request({ type: 'stop' }, 2000)
        .catch(() => undefined)
        .finally(() => void w.terminate());
    }
    this.statusEmitter.dispose();
    this.failureEmitter.dispose();
  }
}

export function workerPathFor(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'worker.js');
}
