/**
 * Explicit tasks, persisted in one small JSON file shared by every window and the CLI:
 * `$TAXIMETER_DATA_DIR` or `$XDG_DATA_HOME/taximeter` or `~/.local/share/taximeter`, `tasks.json`.
 * Written atomically with user-only permissions; a corrupt file is kept aside, never trusted.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TaskRecord } from '../core/tasks';
import { writeFileAtomic } from './atomic';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown, min: number, max: number): x is string => typeof x === 'string' && x.length >= min && x.length <= max;
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function checkTask(t: unknown): TaskRecord | undefined {
  if (!isObject(t)) return undefined;
  const { id, label, ref, folders, start, end } = t;
  if (!isString(id, 1, 100) || !isString(label, 0, 500) || !isNumber(start)) return undefined;
  if (ref !== undefined && !isString(ref, 0, 500)) return undefined;
  if (end !== undefined && !isNumber(end)) return undefined;
  if (!Array.isArray(folders) || folders.length > 100 || !folders.every((f) => isString(f, 0, 4096))) return undefined;
  // Only the known keys are kept.
  return { id, label, ...(ref !== undefined ? { ref } : {}), folders: [...folders], start, ...(end !== undefined ? { end } : {}) };
}

/**
 * The tasks of a parsed task file (`{ "version": 1, "tasks": [...] }`), or undefined when it is
 * not one. Plain checks, no validation library: the extension host reads this file at activation
 * (test/unit/tasks.test.ts holds the same rules as a zod schema and compares the two).
 */
export function checkTaskFile(raw: unknown): TaskRecord[] | undefined {
  if (!isObject(raw) || raw.version !== 1 || !Array.isArray(raw.tasks)) return undefined;
  const tasks: TaskRecord[] = [];
  for (const t of raw.tasks as unknown[]) {
    const checked = checkTask(t);
    if (!checked) return undefined;
    tasks.push(checked);
  }
  return tasks;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TAXIMETER_DATA_DIR) return env.TAXIMETER_DATA_DIR;
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'taximeter');
}

export function defaultTasksFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultDataDir(env), 'tasks.json');
}

export interface LoadedTasks {
  tasks: TaskRecord[];
  problem?: string;
}

export function loadTasks(file: string): LoadedTasks {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [] };
    return { tasks: [], problem: `cannot read ${file}: ${String(error)}` };
  }
  return parseTasks(file, text);
}

/** The same, without blocking (for the extension host). */
export async function loadTasksAsync(file: string): Promise<LoadedTasks> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [] };
    return { tasks: [], problem: `cannot read ${file}: ${String(error)}` };
  }
  return parseTasks(file, text);
}

function parseTasks(file: string, text: string): LoadedTasks {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const tasks = checkTaskFile(raw);
  if (!tasks) {
    const aside = `${file}.corrupt-${Date.now()}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      // leave it
    }
    return { tasks: [], problem: `${file} was not a valid task list; kept aside as ${aside}` };
  }
  return { tasks };
}

export function saveTasks(file: string, tasks: readonly TaskRecord[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify({ version: 1, tasks }, null, 2)}\n`);
}

/** Read, change, write: the file is re-read first so other windows' edits are kept. */
export function updateTasks(file: string, change: (tasks: TaskRecord[]) => TaskRecord[]): TaskRecord[] {
  const next = change(loadTasks(file).tasks);
  saveTasks(file, next);
  return next;
}

export function newTaskId(): string {
  return crypto.randomBytes(8).toString('hex');
}

/** Start a task for `folders`, stopping any task still running for the same folders. */
export function startTask(tasks: TaskRecord[], label: string, ref: string | undefined, folders: string[], now: number): TaskRecord[] {
  const key = JSON.stringify([...folders].sort());
  const stopped = tasks.map((t) => (t.end === undefined && JSON.stringify([...t.folders].sort()) === key ? { ...t, end: now } : t));
  return [...stopped, { id: newTaskId(), label, ...(ref ? { ref } : {}), folders, start: now }];
}

export function runningTask(tasks: readonly TaskRecord[], folders: readonly string[]): TaskRecord | undefined {
  const key = JSON.stringify([...folders].sort());
  return [...tasks].reverse().find((t) => t.end === undefined && JSON.stringify([...t.folders].sort()) === key);
}
