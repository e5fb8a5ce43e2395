/**
 * The status bar item: the current session's spend, busy time and tokens, live; a tooltip with
 * the breakdown, today's total and where each figure comes from; a warning state when a source
 * fails. The text is computed by `renderStatus` (status-text.ts); this class only writes it.
 */
import * as vscode from 'vscode';
import { CommandId } from './commands';
import type { StatusMessage } from './engine-client';
import { renderStatus } from './status-text';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private failure: string | undefined;
  private last: StatusMessage | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('taximeter.meter', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Taximeter';
    this.item.command = CommandId.openPanel;
    this.apply();
    this.item.show();
  }

  update(msg: StatusMessage): void {
    this.last = msg;
    this.failure = undefined;
    this.apply();
  }

  fail(reason: string): void {
    this.failure = reason;
    this.apply();
  }

  /** What the item shows now (for tests through the extension's API). */
  get text(): string {
    return this.item.text;
  }

  get tooltipText(): string {
    const t = this.item.tooltip;
    return typeof t === 'string' ? t : (t?.value ?? '');
  }

  private apply(): void {
    const r = renderStatus(this.last, this.failure);
    this.item.text = r.text;
    const md = new vscode.MarkdownString(r.tooltip, true);
    md.isTrusted = false;
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: r.accessibility, role: 'button' };
    this.item.backgroundColor =
      r.budget === 'exceeded'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : r.warning || r.budget === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
