/**
 * Composition root: wires the log, settings, status bar, scanner worker and commands.
 * No logic and no awaited I/O here; the scanner starts in its own thread.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineSettings } from './engine/worker-protocol';
import { CommandId } from './vscode/commands';
import { showSessions } from './vscode/commands/show-sessions';
import { configSection, readSettings, type Settings } from './vscode/config';
import { EngineClient, workerPathFor, type StatusMessage } from './vscode/engine-client';
import { createLog, guard } from './vscode/log';
import { StatusBar } from './vscode/status-bar';

/** What the extension exports (used by the integration tests; stable enough for other extensions). */
export interface TaximeterApi {
  statusText(): string;
  statusTooltip(): string;
  lastStatus(): StatusMessage | undefined;
  /** Resolves with the first status message that satisfies `predicate`. */
  waitForStatus(predicate: (s: StatusMessage) => boolean, timeoutMs?: number): Promise<StatusMessage>;
  engine: EngineClient;
}

function engineSettings(s: Settings, context: vscode.ExtensionContext): EngineSettings {
  return {
    claudeConfigDirs: s.claudeCode.configDirs,
    idleMs: s.idleThresholdMinutes * 60_000,
    priceOverrides: s.prices,
    keepPromptText: s.privacy.promptText,
    cacheDir: context.globalStorageUri.fsPath,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
    timeZone: s.timeZone || undefined,
    statusBarAgents: s.statusBar.agents,
    // Cline and Roo Code keep their tasks beside our own storage, in this editor's globalStorage.
    globalStorageDirs: [path.dirname(context.globalStorageUri.fsPath)],
  };
}

export function activate(context: vscode.ExtensionContext): TaximeterApi {
  const log = createLog();
  const statusBar = new StatusBar();
  const engine = new EngineClient(workerPathFor(context.extensionPath), log);
  context.subscriptions.push(log, statusBar, engine);

  const waiters = new Set<{ predicate: (s: StatusMessage) => boolean; resolve: (s: StatusMessage) => void }>();
  let progressDone: (() => void) | undefined;
  context.subscriptions.push(
    engine.onStatus(
      guard(log, 'status update', (msg: StatusMessage) => {
        statusBar.update(msg);
        const scanning = msg.scan.phase === 'cold' || msg.scan.phase === 'warm';
        if (scanning && !progressDone) {
          void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Taximeter: reading agent history' }, () => new Promise<void>((resolve) => (progressDone = resolve)));
        } else if (!scanning && progressDone) {
          progressDone();
          progressDone = undefined;
        }
        for (const w of [...waiters]) {
          if (w.predicate(msg)) {
            waiters.delete(w);
            w.resolve(msg);
          }
        }
      }),
    ),
    engine.onFailure(guard(log, 'scanner failure', (reason: string) => statusBar.fail(reason))),
    vscode.workspace.onDidChangeConfiguration(
      guard(log, 'settings change', (e: vscode.ConfigurationChangeEvent) => {
        if (e.affectsConfiguration(configSection)) engine.configure(engineSettings(readSettings(log), context));
      }),
    ),
    vscode.workspace.onDidChangeWorkspaceFolders(guard(log, 'workspace change', () => engine.configure(engineSettings(readSettings(log), context)))),
    vscode.commands.registerCommand(CommandId.showSessions, guard(log, CommandId.showSessions, () => showSessions(engine))),
    vscode.commands.registerCommand(
      CommandId.refresh,
      guard(log, CommandId.refresh, () => engine.refresh()),
    ),
    vscode.commands.registerCommand(CommandId.showLog, () => log.show()),
  );

  engine.start(engineSettings(readSettings(log), context));

  return {
    statusText: () => statusBar.text,
    statusTooltip: () => statusBar.tooltipText,
    lastStatus: () => engine.lastStatus,
    waitForStatus(predicate, timeoutMs = 30_000) {
      const last = engine.lastStatus;
      if (last && predicate(last)) return Promise.resolve(last);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`no matching status within ${timeoutMs} ms; last: ${JSON.stringify(engine.lastStatus?.summary.current ?? null)}`));
        }, timeoutMs);
      });
    },
    engine,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
