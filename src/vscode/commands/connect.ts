/**
 * Connect / Disconnect Claude Code and Codex CLI, and the telemetry receiver (the VS Code side).
 * Connect shows exactly what it will change (a diff of the settings file) and asks first; nothing
 * is installed and no port is opened unless the user runs one of these commands.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { supportedHookEvents } from '../../connect/hook-events';
import type { Outcome } from '../../connect/installer';
import { connectLayout, spoolFiles, type ConnectLayout } from '../../connect/layout';
import type { OtlpReceiver } from '../../connect/otlp-receiver';
import { claudeConfigRoots } from '../../sources/claude-code/paths';
import type { Log } from '../log';

/** Arguments for programmatic use (tests, other extensions); the UI asks for whatever is missing. */
export interface ConnectArgs {
  /** `user`: `$CLAUDE_CONFIG_DIR/settings.json` or `~/.claude/settings.json`; `workspace`: the first folder's `.claude/settings.json`. */
  target?: 'user' | 'workspace';
  /** An explicit settings file (overrides `target`). */
  file?: string;
  /** Skip the preview and the confirmation (the caller already has the user's consent). */
  assumeYes?: boolean;
  /** The `claude` executable to ask for its version (default: `claude` on PATH). */
  claudeExecutable?: string;
}

const previewScheme = 'taximeter-preview';

/**
 * The installer (settings editing, jsonc), the version probe (child processes) and the receiver
 * (http, zlib) are loaded on first use: nothing of Connect runs, or costs loading time, until asked.
 */
const installer = () => import('../../connect/installer');
const claudeVersion = () => import('../../connect/claude-version');
const otlpReceiver = () => import('../../connect/otlp-receiver');

class PreviewDocuments implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, string>();
  private n = 0;

  add(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: previewScheme, path: `/${this.n++}/${name}` });
    this.docs.set(uri.toString(), text);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }
}

/** The user's Claude Code settings file, as the client finds it. */
export function userClaudeSettings(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.CLAUDE_CONFIG_DIR ?? '').split(',').map((s) => s.trim()).find(Boolean);
  return path.join(first ?? path.join(os.homedir(), '.claude'), 'settings.json');
}

function codexConfig(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.CODEX_HOME || path.join(os.homedir(), '.codex'), 'config.toml');
}

export class ConnectCommands implements vscode.Disposable {
  private readonly previews = new PreviewDocuments();
  private readonly disposables: vscode.Disposable[] = [];
  private receiverInstance: OtlpReceiver | undefined;
  readonly layout: ConnectLayout;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Log,
    private readonly onChanged: () => void,
  ) {
    this.layout = connectLayout(context.globalStorageUri.fsPath);
    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(previewScheme, this.previews));
  }

  get receiver(): OtlpReceiver | undefined {
    return this.receiverInstance;
  }

  private get mediaDir(): string {
    return this.context.asAbsolutePath(path.join('media', 'connect'));
  }

  private supported(): boolean {
    if (process.platform !== 'win32') return true;
    void vscode.window.showErrorMessage('Taximeter: Connect needs a POSIX shell (/bin/sh) for its hook scripts; it is not available on Windows yet.');
    return false;
  }

  private async chooseClaudeFile(args: ConnectArgs): Promise<string | undefined> {
    if (args.file) return args.file;
    const user = userClaudeSettings();
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (args.target === 'user') return user;
    if (args.target === 'workspace') return folders[0] ? path.join(folders[0].uri.fsPath, '.claude', 'settings.json') : undefined;
    const items = [
      { label: 'User settings', description: user, detail: 'Every Claude Code session of this user', file: user },
      ...folders.map((f) => {
        const file = path.join(f.uri.fsPath, '.claude', 'settings.json');
        return { label: `Project: ${f.name}`, description: file, detail: 'Sessions in this folder only (shared with the project if you commit the file)', file };
      }),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Taximeter: where should Connect add its hooks and status line?' });
    return pick?.file;
  }

  private async confirm(title: string, file: string, before: string, after: string, detail: string): Promise<boolean> {
    const left = this.previews.add(`${path.basename(file)} (now)`, before);
    const right = this.previews.add(`${path.basename(file)} (after Connect)`, after);
    await vscode.commands.executeCommand('vscode.diff', left, right, `${title}: ${file}`, { preview: true });
    const ok = await vscode.window.showWarningMessage(title, { modal: true, detail }, 'Connect');
    return ok === 'Connect';
  }

  private report(outcomes: readonly Outcome[]): void {
    for (const o of outcomes) {
      if (o.ok) {
        this.log.info(o.message);
        void vscode.window.showInformationMessage(`Taximeter: ${o.message}`);
      } else {
        this.log.warn(o.message);
        void vscode.window.showErrorMessage(`Taximeter: ${o.message}`);
      }
    }
  }

  async connectClaudeCode(args: ConnectArgs = {}): Promise<Outcome | undefined> {
    if (!this.supported()) return undefined;
    const file = await this.chooseClaudeFile(args);
    if (!file) return undefined;
    const [{ detectClaudeVersion }, { previewClaudeConnect, connectClaude }] = await Promise.all([claudeVersion(), installer()]);
    const detected = detectClaudeVersion({ executables: [args.claudeExecutable ?? 'claude'], configRoots: claudeConfigRoots() });
    const events = supportedHookEvents(detected.version);
    const preview = previewClaudeConnect(this.layout, file, events);
    if (!preview.ok) {
      const o: Outcome = { ok: false, file: preview.file, message: preview.message };
      if (preview.alreadyConnected) void vscode.window.showInformationMessage(`Taximeter: ${preview.message}`);
      else this.report([o]);
      return o;
    }
    const detail = [
      `Claude Code ${detected.version ?? '(version unknown)'} — from ${detected.source}.`,
      ...preview.summary.map((s) => `• ${s}`),
      `The scripts only append what the client sends them to ${this.layout.spool} on this machine; no network.`,
      'Disconnect restores the file exactly; a backup of it is kept.',
    ].join('\n');
    if (!args.assumeYes && !(await this.confirm('Connect Claude Code?', preview.file, preview.before, preview.after, detail))) return undefined;
    const o = connectClaude(this.layout, this.mediaDir, file, events, { expectedBefore: preview.before, version: detected.version, versionSource: detected.source });
    this.report([o]);
    if (o.ok) this.onChanged();
    return o;
  }

  async disconnectClaudeCode(args: { file?: string } = {}): Promise<Outcome[]> {
    const { connectedFiles, disconnect } = await installer();
    const records = connectedFiles(this.layout, 'claude-settings');
    if (records.length === 0) {
      void vscode.window.showInformationMessage('Taximeter: Claude Code is not connected.');
      return [];
    }
    const out = disconnect(this.layout, 'claude-settings', args.file);
    this.report(out);
    return out;
  }

  async connectCodex(args: { file?: string; assumeYes?: boolean } = {}): Promise<Outcome | undefined> {
    if (!this.supported()) return undefined;
    const file = args.file ?? codexConfig();
    const { previewCodexConnect, connectCodex } = await installer();
    const preview = previewCodexConnect(this.layout, file);
    if (!preview.ok) {
      const o: Outcome = { ok: false, file: preview.file, message: preview.message };
      this.report([o]);
      return o;
    }
    const detail = `Codex runs Taximeter's script after every turn, as a signal to read its logs at once; your previous notify command still runs. Nothing leaves this machine. Disconnect restores the file exactly.`;
    if (!args.assumeYes && !(await this.confirm('Connect Codex CLI?', preview.file, preview.before, preview.after, detail))) return undefined;
    const o = connectCodex(this.layout, this.mediaDir, file, { expectedBefore: preview.before });
    this.report([o]);
    if (o.ok) this.onChanged();
    return o;
  }

  async disconnectCodex(args: { file?: string } = {}): Promise<Outcome[]> {
    const { connectedFiles, disconnect } = await installer();
    if (connectedFiles(this.layout, 'codex-config').length === 0) {
      void vscode.window.showInformationMessage('Taximeter: Codex CLI is not connected.');
      return [];
    }
    const out = disconnect(this.layout, 'codex-config', args.file);
    this.report(out);
    return out;
  }

  /** Start the loopback OTLP receiver (again on the last port and path, when free). */
  async startTelemetryReceiver(args: { quiet?: boolean } = {}): Promise<{ port: number; endpoint: string; env: Record<string, string> }> {
    if (!this.receiverInstance) {
      const last = this.context.globalState.get<{ port?: number; token?: string }>('taximeter.telemetryReceiver') ?? {};
      const { OtlpReceiver } = await otlpReceiver();
      this.receiverInstance = await OtlpReceiver.start({ spoolFile: path.join(this.layout.spool, spoolFiles.otel), port: last.port, token: last.token, log: (m) => this.log.warn(m) });
      await this.context.globalState.update('taximeter.telemetryReceiver', { port: this.receiverInstance.port, token: this.receiverInstance.token });
      this.log.info(`telemetry receiver listening on 127.0.0.1:${this.receiverInstance.port}`);
      this.onChanged();
    }
    const r = this.receiverInstance;
    const env = r.env();
    if (!args.quiet) {
      const exports = Object.entries(env)
        .map(([k, v]) => `export ${k}=${v}`)
        .join('\n');
      void vscode.window
        .showInformationMessage(
          `Taximeter: telemetry receiver on 127.0.0.1:${r.port} (this machine only). Start Claude Code with its environment to send exact per-request usage here.`,
          'Copy Environment',
        )
        .then((pick) => (pick === 'Copy Environment' ? vscode.env.clipboard.writeText(`${exports}\n`) : undefined));
    }
    return { port: r.port, endpoint: r.endpoint, env };
  }

  async stopTelemetryReceiver(): Promise<void> {
    const r = this.receiverInstance;
    this.receiverInstance = undefined;
    if (r) {
      await r.close();
      this.log.info(`telemetry receiver stopped (${r.stats.records} records kept, ${r.stats.rejected + r.stats.badBodies} rejected)`);
    }
  }

  dispose(): void {
    void this.stopTelemetryReceiver();
    for (const d of this.disposables) d.dispose();
  }
}
