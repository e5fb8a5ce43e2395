/**
 * Composition root: wires the log, settings, status bar, scanner worker and commands.
 * No logic and no awaited I/O here; the scanner starts in its own thread.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { threadCpuMs } from './engine/thread-cpu';
import type { EngineSettings } from './engine/worker-protocol';
import { CommandId, panelViewType } from './vscode/commands';
import type { PanelHost } from './vscode/panel-host';
import type { panelScopeSchema } from './protocol/panel-messages';
import { showSessions } from './vscode/commands/show-sessions';
import { configSection, planSettings, readSettings, type Settings } from './vscode/config';
import { exportReport, type ExportArgs } from './vscode/commands/export-report';
import { ConnectCommands, type ConnectArgs } from './vscode/commands/connect';
import { connectLayout } from './connect/layout';
import { TaskManager } from './vscode/tasks';
import { BudgetAlerts } from './vscode/budget-alerts';
import { EngineClient, workerPathFor, type StatusMessage } from './vscode/engine-client';
import { createLog, guard, guardResult } from './vscode/log';
import { StatusBar } from './vscode/status-bar';

/** What the extension exports (used by the integration tests; stable enough for other extensions). */
export interface TaximeterApi {
  statusText(): string;
  statusTooltip(): string;
  lastStatus(): StatusMessage | undefined;
  /** Resolves with the first status message that satisfies `predicate`. */
  waitForStatus(predicate: (s: StatusMessage) => boolean, timeoutMs?: number): Promise<StatusMessage>;
  engine: EngineClient;
  /** The open cost panel, if any. */
  panel(): PanelHost | undefined;
  tasks: TaskManager;
  /** How long `activate` took (ms). */
  activationMs: number;
  /** CPU time of this thread during activation (Node ≥ 22.19), when known. */
  activationCpuMs: number | undefined;
  /** Loading the code (evaluating the bundle) before activate(), when measured: wall and CPU ms. */
  codeLoad: { ms: number; cpuMs: number | undefined } | undefined;
  /** Connect: where its files live, and the telemetry receiver when started. */
  connect: ConnectCommands;
}

function engineSettings(s: Settings, context: vscode.ExtensionContext, tasks: TaskManager): EngineSettings {
  return {
    tasks: [...tasks.list()],
    plan: planSettings(s),
    sessionHourRate: s.sessionHourRate,
    includePrompts: s.privacy.promptText,
    budgets: s.budget,
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
    prematureShare: s.prematureCompactionPercent / 100,
    connectSpoolDir: connectLayout(context.globalStorageUri.fsPath).spool,
  };
}

/** When the bundle started and ended running, and this thread's CPU time then (its banner and footer; undefined under tsc). */
type LoadMark = [number, { user: number; system: number } | undefined];
declare const __taximeterLoadStart: LoadMark | undefined;
declare const __taximeterLoadEnd: LoadMark | undefined;
/** Loading the code: evaluating the bundle (its modules' top level), before activate(): wall and CPU ms. */
function codeLoad(): { ms: number; cpuMs: number | undefined } | undefined {
  if (typeof __taximeterLoadStart === 'undefined' || typeof __taximeterLoadEnd === 'undefined') return undefined;
  const [t0, c0] = __taximeterLoadStart;
  const [t1, c1] = __taximeterLoadEnd;
  return { ms: t1 - t0, cpuMs: c0 && c1 ? (c1.user + c1.system - c0.user - c0.system) / 1000 : undefined };
}

/**
 * The panel's code (its host and the zod schemas of its messages) is loaded when a panel opens,
 * not at activation: most sessions never open it, and loading it costs the extension host time.
 */
function lazyPanel(): { load: () => Promise<{ PanelHost: typeof PanelHost; panelScopeSchema: typeof panelScopeSchema }>; loaded: () => typeof PanelHost | undefined } {
  let host: typeof PanelHost | undefined;
  return {
    async load() {
      const [h, messages] = await Promise.all([import('./vscode/panel-host'), import('./protocol/panel-messages')]);
      host = h.PanelHost;
      return { PanelHost: h.PanelHost, panelScopeSchema: messages.panelScopeSchema };
    },
    loaded: () => host,
  };
}

export function activate(context: vscode.ExtensionContext): TaximeterApi {
  const activationStart = performance.now();
  const cpuStart = threadCpuMs();
  const panels = lazyPanel();
  const log = createLog();
  const statusBar = new StatusBar();
  const engine = new EngineClient(workerPathFor(context.extensionPath), log);
  const tasks = new TaskManager(log);
  const alerts = new BudgetAlerts(context.workspaceState);
  context.subscriptions.push(log, statusBar, engine, tasks);
  const configure = (): void => engine.configure(engineSettings(readSettings(log), context, tasks));
  // After Connect the spool folder exists: the scanner starts watching it.
  const connect = new ConnectCommands(context, log, configure);
  context.subscriptions.push(connect);

  const waiters = new Set<{ predicate: (s: StatusMessage) => boolean; resolve: (s: StatusMessage) => void }>();
  let progressDone: (() => void) | undefined;
  context.subscriptions.push(
    engine.onStatus(
      guard(log, 'status update', (msg: StatusMessage) => {
        statusBar.update(msg);
        alerts.check(msg.summary.budgets);
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
        if (e.affectsConfiguration(configSection)) configure();
      }),
    ),
    vscode.workspace.onDidChangeWorkspaceFolders(guard(log, 'workspace change', configure)),
    tasks.onDidChange(guard(log, 'tasks change', configure)),
    vscode.window.onDidChangeWindowState(guard(log, 'window focus', (w: vscode.WindowState) => (w.focused ? tasks.reloadAsync() : undefined))),
    vscode.commands.registerCommand(CommandId.startTask, guardResult(log, CommandId.startTask, (args?: { label?: string; ref?: string }) => tasks.start(args))),
    vscode.commands.registerCommand(CommandId.stopTask, guardResult(log, CommandId.stopTask, () => tasks.stop())),
    vscode.commands.registerCommand(CommandId.renameTask, guardResult(log, CommandId.renameTask, (args?: { label?: string; ref?: string }) => tasks.rename(args))),
    vscode.commands.registerCommand(CommandId.exportReport, (args?: ExportArgs) =>
      exportReport(engine, tasks, args).catch((error: unknown) => {
        log.error(`export: ${error instanceof Error ? error.message : String(error)}`);
        void vscode.window.showErrorMessage(`Taximeter: the export failed: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }),
    ),
    vscode.commands.registerCommand(CommandId.showSessions, guard(log, CommandId.showSessions, () => showSessions(engine))),
    vscode.commands.registerCommand(
      CommandId.openPanel,
      guardResult(log, CommandId.openPanel, async (arg?: unknown) => {
        const { PanelHost, panelScopeSchema } = await panels.load();
        // Optional deep link: { scope: { kind: 'today' } }.
        const scope = panelScopeSchema.safeParse((arg as { scope?: unknown } | undefined)?.scope);
        PanelHost.createOrShow(context, engine, log, scope.success ? scope.data : undefined);
      }),
    ),
    vscode.window.registerWebviewPanelSerializer(panelViewType, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        const { PanelHost } = await panels.load();
        PanelHost.revive(panel, context, engine, log, state);
      },
    }),
    { dispose: () => panels.loaded()?.instance?.dispose() },
    vscode.commands.registerCommand(
      CommandId.refresh,
      guard(log, CommandId.refresh, () => engine.refresh()),
    ),
    vscode.commands.registerCommand(CommandId.showLog, () => log.show()),
    vscode.commands.registerCommand(CommandId.connectClaudeCode, guardResult(log, CommandId.connectClaudeCode, (args?: ConnectArgs) => connect.connectClaudeCode(args))),
    vscode.commands.registerCommand(CommandId.disconnectClaudeCode, guardResult(log, CommandId.disconnectClaudeCode, (args?: { file?: string }) => connect.disconnectClaudeCode(args))),
    vscode.commands.registerCommand(CommandId.connectCodex, guardResult(log, CommandId.connectCodex, (args?: { file?: string; assumeYes?: boolean }) => connect.connectCodex(args))),
    vscode.commands.registerCommand(CommandId.disconnectCodex, guardResult(log, CommandId.disconnectCodex, (args?: { file?: string }) => connect.disconnectCodex(args))),
    vscode.commands.registerCommand(CommandId.startTelemetryReceiver, guardResult(log, CommandId.startTelemetryReceiver, (args?: { quiet?: boolean }) => connect.startTelemetryReceiver(args))),
    vscode.commands.registerCommand(CommandId.stopTelemetryReceiver, guardResult(log, CommandId.stopTelemetryReceiver, () => connect.stopTelemetryReceiver())),
  );

  // No blocking I/O here: the tasks arrive a moment later (onDidChange → configure).
  engine.start(engineSettings(readSettings(log), context, tasks));
  void tasks.reloadAsync().catch((error: unknown) => log.warn(`tasks: ${String(error)}`));
  const activationMs = performance.now() - activationStart;
  // The thread's own CPU time too: on a busy machine the wall time also holds the waits for a core.
  const activationCpuMs = cpuStart !== undefined ? (threadCpuMs() ?? cpuStart) - cpuStart : undefined;
  const load = codeLoad();
  log.info(`activated in ${activationMs.toFixed(1)} ms${activationCpuMs !== undefined ? ` (${activationCpuMs.toFixed(1)} ms of CPU)` : ''}${load ? `; loading the code took ${load.ms.toFixed(1)} ms` : ''}`);

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
    panel: () => panels.loaded()?.instance,
    tasks,
    activationMs,
    activationCpuMs,
    codeLoad: load,
    connect,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
