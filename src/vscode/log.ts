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

/** Like `guard`, for commands whose result callers use: resolves to the result, or undefined after logging. */
export function guardResult<A extends unknown[], R>(log: Log, what: string, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error: unknown) {
      log.error(`${what}: ${describe(error)}`);
      return undefined;
    }
  };
}
