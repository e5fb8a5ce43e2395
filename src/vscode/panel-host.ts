/**
 * The cost panel's host side: one panel at a time, restored after a reload (serializer), strict
 * CSP with a per-render nonce from `crypto`, resources only from dist/webview and media/, every
 * message validated, nothing posted before the webview says `ready`, snapshots at most 4 per second.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { PanelScope, PanelState } from '../core/panel-state';
import { fromPanelSchema, panelPersistedSchema, type FromPanel, type ToPanel } from '../protocol/panel-messages';
import { CommandId, panelViewType } from './commands';

export { panelViewType };
import type { EngineClient } from './engine-client';
import { describe, type Log } from './log';
import { panelHtml } from './panel-html';

const minIntervalMs = 250;

export class PanelHost implements vscode.Disposable {
  private static current: PanelHost | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private scope: PanelScope;
  private version = 0;
  private lastPost = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private disposed = false;
  /** The last snapshot posted and the last one the webview said it rendered (for tests and pacing). */
  lastState: PanelState | undefined;
  renderedVersion = -1;
  postedVersion = -1;

  static createOrShow(context: vscode.ExtensionContext, engine: EngineClient, log: Log, scope?: PanelScope): PanelHost {
    const existing = PanelHost.current;
    if (existing) {
      existing.panel.reveal(undefined, false);
      if (scope) existing.setScope(scope);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(panelViewType, 'Taximeter — Cost', vscode.ViewColumn.Active, webviewOptions(context.extensionUri));
    return new PanelHost(panel, context, engine, log, scope ?? { kind: 'current' });
  }

  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, engine: EngineClient, log: Log, state: unknown): PanelHost {
    PanelHost.current?.dispose();
    const persisted = panelPersistedSchema.safeParse(state);
    panel.webview.options = webviewOptions(context.extensionUri);
    return new PanelHost(panel, context, engine, log, persisted.success ? persisted.data.scope : { kind: 'current' });
  }

  static get instance(): PanelHost | undefined {
    return PanelHost.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineClient,
    private readonly log: Log,
    scope: PanelScope,
  ) {
    PanelHost.current = this;
    this.scope = scope;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      engine.onStatus(() => this.schedule()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('taximeter')) this.schedule();
      }),
      panel.onDidChangeViewState(() => {
        if (panel.visible) this.schedule();
      }),
    );
  }

  get currentScope(): PanelScope {
    return this.scope;
  }

  setScope(scope: PanelScope): void {
    this.scope = scope;
    this.schedule(true);
  }

  private onMessage(raw: unknown): void {
    const parsed = fromPanelSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`panel: dropped an invalid message (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      return;
    }
    const msg: FromPanel = parsed.data;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.schedule(true);
        return;
      case 'setScope':
        this.setScope(msg.scope);
        return;
      case 'didRender':
        this.renderedVersion = Math.max(this.renderedVersion, msg.version);
        return;
      case 'openLog':
        void vscode.commands.executeCommand(CommandId.showLog);
        return;
      case 'openSettings':
        void vscode.commands.executeCommand('workbench.action.openSettings', 'taximeter');
        return;
      case 'exportReport':
        void vscode.commands.executeCommand(CommandId.exportReport, msg.taskId ? { taskId: msg.taskId } : undefined);
        return;
      case 'taskCommand':
        void vscode.commands.executeCommand({ start: CommandId.startTask, stop: CommandId.stopTask, rename: CommandId.renameTask }[msg.command]);
        return;
      default: {
        const never: never = msg;
        this.log.warn(`panel: unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  /** Post a fresh snapshot now, or as soon as the 4-per-second budget allows. */
  private schedule(immediate = false): void {
    if (this.disposed || !this.ready || !this.panel.visible) return;
    const wait = immediate ? 0 : Math.max(0, this.lastPost + minIntervalMs - Date.now());
    if (this.timer) {
      if (!immediate) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.post();
    }, wait);
  }

  private async post(): Promise<void> {
    if (this.inFlight) {
      this.schedule();
      return;
    }
    this.inFlight = true;
    try {
      const requested = this.scope;
      const state = await this.engine.panelState(requested);
      if (this.disposed) return;
      if (this.scope !== requested) {
        // The user picked another scope meanwhile: this snapshot is stale.
        this.schedule(true);
        return;
      }
      // The engine may fall back (a session that no longer exists → the current one).
      this.scope = state.scope;
      this.lastState = state;
      const version = ++this.version;
      const msg: ToPanel = { type: 'state', version, state };
      this.lastPost = Date.now();
      if (await this.panel.webview.postMessage(msg)) this.postedVersion = version;
    } catch (error: unknown) {
      if (this.disposed) return;
      this.log.warn(`panel: ${describe(error)}`);
      const msg: ToPanel = { type: 'error', message: describe(error) };
      this.panel.webview.postMessage(msg).then(undefined, () => undefined);
    } finally {
      this.inFlight = false;
    }
  }

  /** Resolves once the webview has rendered a snapshot posted after this call started. */
  async waitForRender(predicate: (s: PanelState) => boolean, timeoutMs = 15_000): Promise<PanelState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.lastState;
      if (s && predicate(s) && this.renderedVersion >= this.postedVersion && this.postedVersion > 0) return s;
      if (Date.now() > deadline) throw new Error(`panel did not render a matching state in ${timeoutMs} ms (posted ${this.postedVersion}, rendered ${this.renderedVersion})`);
      this.schedule();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const base = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    return panelHtml({
      cspSource: webview.cspSource,
      nonce: crypto.randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(base, 'main.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(base, 'main.css')).toString(),
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (PanelHost.current === this) PanelHost.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
