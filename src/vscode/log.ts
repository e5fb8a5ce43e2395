/**
 * The extension's log (a LogOutputChannel) and `guard`, which every callback runs through:
 * it catches, logs and keeps going, so nothing escapes into the extension host.
 */
import * as vscode from 'vscode';

export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('Taximeter', { log: true });
}

export function guard<A extends unknown[]>(log: Log, what: string, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A) => {
    try {
      const r = fn(...args);
      if (r instanceof Promise) r.catch((error: unknown) => log.error(`${what}: ${describe(error)}`));
    } catch (error: unknown) {
      log.error(`${what}: ${describe(error)}`);
    }
  };
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
