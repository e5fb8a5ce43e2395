/**
 * "Taximeter: Export Cost Report…": pick the scope and the format, then a save dialog. The file
 * is written atomically; an existing file is never replaced without asking.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ExportFormat } from '../../core/export';
import type { WorkBy } from '../../core/tasks';
import { writeFileAtomic } from '../../engine/atomic';
import type { EngineClient } from '../engine-client';
import type { TaskManager } from '../tasks';

export interface ExportArgs {
  /** Export this one task without asking for the scope. */
  taskId?: string;
  by?: WorkBy;
  format?: ExportFormat;
  since?: number;
  until?: number;
  /** Write here without a dialog (tests, automation); still never overwrites silently. */
  target?: string;
  overwrite?: boolean;
}

const extensions: Record<ExportFormat, string> = { md: 'md', csv: 'csv', json: 'json' };

export async function exportReport(engine: EngineClient, tasks: TaskManager, args: ExportArgs = {}): Promise<string | undefined> {
  let by = args.by;
  let since = args.since;
  const until = args.until;
  let taskIds = args.taskId ? [args.taskId] : undefined;
  if (args.taskId) by = 'task';
  if (!by) {
    const now = new Date();
    const monthStart = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
    const choices: (vscode.QuickPickItem & { by: WorkBy; since?: number; taskIds?: string[] })[] = [];
    const running = tasks.running();
    const recent = [...tasks.list()].reverse().slice(0, 10);
    for (const t of recent) choices.push({ label: `$(tasklist) Task: ${t.label}`, description: t.ref, detail: t === running ? 'running' : new Date(t.start).toLocaleString(), by: 'task', taskIds: [t.id] });
    choices.push(
      { label: '$(calendar) Tasks of this month', by: 'task', since: monthStart },
      { label: '$(calendar) All tasks', by: 'task' },
      { label: '$(comment-discussion) Sessions of this month', by: 'session', since: monthStart },
      { label: '$(git-branch) Git branches of this month', by: 'branch', since: monthStart },
      { label: '$(calendar) Days of this month', by: 'day', since: monthStart },
      { label: '$(list-flat) Turns of this month', by: 'turn', since: monthStart },
      { label: '$(history) Sessions, all time', by: 'session' },
    );
    const pick = await vscode.window.showQuickPick(choices, { title: 'Taximeter: Export Cost Report — scope' });
    if (!pick) return undefined;
    by = pick.by;
    since = pick.since;
    taskIds = pick.taskIds;
  }
  let format = args.format;
  if (!format) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Markdown', description: 'readable tables, summary first', format: 'md' as const },
        { label: 'CSV', description: 'one row per item, RFC 4180', format: 'csv' as const },
        { label: 'JSON', description: 'versioned schema (see README)', format: 'json' as const },
      ],
      { title: 'Taximeter: Export Cost Report — format' },
    );
    if (!pick) return undefined;
    format = pick.format;
  }
  const { content, rows } = await engine.export(by, format, { since, until, taskIds });
  let target = args.target;
  if (!target) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const defaultUri = folder ? vscode.Uri.joinPath(folder, `taximeter-${by}-report.${extensions[format]}`) : undefined;
    const uri = await vscode.window.showSaveDialog({ title: 'Save cost report', defaultUri, filters: { [format.toUpperCase()]: [extensions[format]] } });
    if (!uri) return undefined;
    target = uri.fsPath;
  }
  if (fs.existsSync(target) && !args.overwrite) {
    const answer = await vscode.window.showWarningMessage(`${target} exists. Replace it?`, { modal: true }, 'Replace');
    if (answer !== 'Replace') return undefined;
  }
  writeFileAtomic(target, content);
  void vscode.window.showInformationMessage(`Taximeter: cost report with ${rows} row(s) saved to ${target}`);
  return target;
}
