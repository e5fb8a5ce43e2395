/**
 * Explicit tasks from the editor: Start / Stop / Rename. The list lives in the shared task file
 * (engine/task-store.ts) so every window and the CLI see the same tasks; it is re-read before
 * every change and when the window gets focus.
 */
import * as vscode from 'vscode';
import type { TaskRecord } from '../core/tasks';
import { defaultTasksFile, loadTasks, runningTask, startTask, updateTasks } from '../engine/task-store';
import { describe, type Log } from './log';

export class TaskManager implements vscode.Disposable {
  private tasks: TaskRecord[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  readonly file: string;

  constructor(private readonly log: Log) {
    this.file = defaultTasksFile();
  }

  /** This window's folders: tasks are per workspace. */
  folders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  list(): readonly TaskRecord[] {
    return this.tasks;
  }

  running(): TaskRecord | undefined {
    return runningTask(this.tasks, this.folders());
  }

  reload(): void {
    const loaded = loadTasks(this.file);
    if (loaded.problem) this.log.warn(`tasks: ${loaded.problem}`);
    const before = JSON.stringify(this.tasks);
    this.tasks = loaded.tasks;
    if (JSON.stringify(this.tasks) !== before) this.changed.fire();
  }

  private update(change: (tasks: TaskRecord[]) => TaskRecord[]): void {
    try {
      this.tasks = updateTasks(this.file, change);
    } catch (error: unknown) {
      void vscode.window.showErrorMessage(`Taximeter could not save the task list (${this.file}): ${describe(error)}`);
      throw error;
    }
    this.changed.fire();
  }

  async start(args?: { label?: string; ref?: string }): Promise<TaskRecord | undefined> {
    const folders = this.folders();
    if (folders.length === 0) {
      void vscode.window.showWarningMessage('Taximeter: open a folder first — a task counts the agent work in this workspace’s folders.');
      return undefined;
    }
    const label = args?.label ?? (await vscode.window.showInputBox({ title: 'Taximeter: Start Task', prompt: 'What are you working on?', placeHolder: 'e.g. Fix the login redirect', validateInput: (v) => (v.trim() ? undefined : 'A label is needed') }));
    if (!label?.trim()) return undefined;
    const ref = args?.ref ?? (args?.label !== undefined ? undefined : await vscode.window.showInputBox({ title: 'Taximeter: Start Task', prompt: 'Issue or ticket reference (optional)', placeHolder: 'e.g. #123 or JIRA-42' }));
    this.reload();
    const now = Date.now();
    this.update((tasks) => startTask(tasks, label.trim(), ref?.trim() || undefined, folders, now));
    this.log.info(`task started: ${label.trim()}`);
    return this.running();
  }

  stop(): TaskRecord | undefined {
    this.reload();
    const t = this.running();
    if (!t) {
      void vscode.window.showInformationMessage('Taximeter: no task is running in this workspace.');
      return undefined;
    }
    const now = Date.now();
    this.update((tasks) => tasks.map((x) => (x.id === t.id ? { ...x, end: now } : x)));
    this.log.info(`task stopped: ${t.label}`);
    return { ...t, end: now };
  }

  async rename(args?: { label?: string; ref?: string }): Promise<void> {
    this.reload();
    const mine = this.tasks.filter((t) => t.folders.some((f) => this.folders().includes(f)));
    const running = this.running();
    let target = running;
    if (!args?.label) {
      const pick = await vscode.window.showQuickPick(
        [...mine].reverse().map((t) => ({ label: t.label, description: t.ref, detail: `${new Date(t.start).toLocaleString()}${t.end ? ` – ${new Date(t.end).toLocaleString()}` : ' (running)'}`, id: t.id })),
        { title: 'Taximeter: Rename Task' },
      );
      if (!pick) return;
      target = mine.find((t) => t.id === pick.id);
    }
    if (!target) {
      void vscode.window.showInformationMessage('Taximeter: no task to rename.');
      return;
    }
    const label = args?.label ?? (await vscode.window.showInputBox({ title: 'Taximeter: Rename Task', value: target.label, validateInput: (v) => (v.trim() ? undefined : 'A label is needed') }));
    if (!label?.trim()) return;
    const ref = args?.ref ?? (args?.label !== undefined ? target.ref : await vscode.window.showInputBox({ title: 'Taximeter: Rename Task', prompt: 'Issue or ticket reference (optional)', value: target.ref ?? '' }));
    const id = target.id;
    this.update((tasks) => tasks.map((x) => (x.id === id ? { ...x, label: label.trim(), ref: ref?.trim() || undefined } : x)));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
