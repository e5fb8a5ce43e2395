/**
 * Connect / Disconnect on disk (Node I/O, no 'vscode'): copies the scripts, edits the chosen
 * settings file atomically (temp + rename, the file's mode kept, a symlinked file edited where it
 * points), keeps a backup of the original bytes and a record of what changed, and undoes it.
 *
 * Disconnect restores the original bytes exactly when the file is still what Connect wrote; when it
 * changed since, it removes Taximeter's entries only (claude-settings.ts / codex-config.ts) and
 * refuses when it cannot tell what is whose.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../engine/atomic';
import { planClaudeConnect, planClaudeDisconnect, type ClaudeConnectSpec, type ClaudeConnectUndo } from './claude-settings';
import { planCodexConnect, planCodexDisconnect, type CodexConnectUndo } from './codex-config';
import { hookEvents, type HookEvent } from './hook-events';
import { scriptNames, spoolFiles, type ConnectLayout } from './layout';
import { shellQuote } from './shell';

const undoSchema = z.object({
  events: z.array(z.enum(hookEvents)),
  hookCommand: z.string(),
  statusLine: z.object({ command: z.string(), previousCommand: z.string().nullable(), created: z.boolean() }),
  createdHooksKey: z.boolean(),
  createdEvents: z.array(z.enum(hookEvents)),
});

const recordBase = {
  /** The file Connect edited (a symlink's target). */
  file: z.string(),
  existed: z.boolean(),
  /** A folder Connect created for the file (removed again on Disconnect when empty). */
  createdDir: z.string().optional(),
  originalSha256: z.string(),
  installedSha256: z.string(),
  /** Copy of the original bytes (absent when there was no file). */
  backup: z.string().optional(),
  at: z.number(),
};

const recordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('claude-settings'), ...recordBase, undo: undoSchema, version: z.string().optional(), versionSource: z.string().optional() }),
  z.object({ kind: z.literal('codex-config'), ...recordBase, undo: z.object({ line: z.string(), previous: z.string().nullable() }) }),
]);
export type ConnectRecord = z.infer<typeof recordSchema>;

const stateSchema = z.object({ v: z.literal(1), records: z.array(z.unknown()) });

export type Outcome = { ok: true; message: string; file: string } | { ok: false; message: string; file: string };

function sha256(b: Buffer | string): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** The records of what Connect changed; unreadable ones are skipped and reported. */
export function readConnectState(layout: ConnectLayout, problems: string[] = []): ConnectRecord[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(layout.stateFile, 'utf8'));
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${layout.stateFile}: ${String(error)}`);
    return [];
  }
  const s = stateSchema.safeParse(raw);
  if (!s.success) {
    problems.push(`${layout.stateFile}: not a Taximeter connect record`);
    return [];
  }
  const out: ConnectRecord[] = [];
  for (const r of s.data.records) {
    const p = recordSchema.safeParse(r);
    if (p.success) out.push(p.data);
    else problems.push(`${layout.stateFile}: a record was skipped (${p.error.issues[0]?.message ?? 'invalid'})`);
  }
  return out;
}

function writeConnectState(layout: ConnectLayout, records: readonly ConnectRecord[]): void {
  fs.mkdirSync(layout.root, { recursive: true });
  writeFileAtomic(layout.stateFile, `${JSON.stringify({ v: 1, records }, null, 2)}\n`);
}

/** Copy the scripts into the storage folder (stable across extension updates) and make the spool folder. */
export function installScripts(layout: ConnectLayout, mediaDir: string): void {
  fs.mkdirSync(layout.bin, { recursive: true });
  fs.mkdirSync(layout.spool, { recursive: true });
  for (const name of scriptNames) {
    const target = path.join(layout.bin, name);
    writeFileAtomic(target, fs.readFileSync(path.join(mediaDir, name)));
    fs.chmodSync(target, 0o755);
  }
}

export function claudeSpec(layout: ConnectLayout, events: readonly HookEvent[]): ClaudeConnectSpec {
  const hookCommand = `/bin/sh ${shellQuote(path.join(layout.bin, 'hook.sh'))} ${shellQuote(path.join(layout.spool, spoolFiles.hooks))}`;
  const status = `/bin/sh ${shellQuote(path.join(layout.bin, 'statusline.sh'))} ${shellQuote(path.join(layout.spool, spoolFiles.statusLine))}`;
  return {
    events,
    hookCommand,
    statusLineCommand: (previous) => (previous !== undefined ? `${status} ${shellQuote(previous)}` : status),
    marker: layout.bin,
  };
}

interface FileNow {
  /** Where to write: the file itself, or the target of a symlink. */
  target: string;
  bytes?: Buffer;
  mode?: number;
}

function readNow(file: string): FileNow {
  let target = file;
  try {
    target = fs.realpathSync(file);
  } catch {
    // does not exist (or a dangling link): write the path itself
  }
  try {
    const bytes = fs.readFileSync(target);
    const mode = fs.statSync(target).mode & 0o777;
    return { target, bytes, mode };
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { target };
    throw error;
  }
}

function writeKeepingMode(target: string, data: Buffer | string, mode: number | undefined): void {
  writeFileAtomic(target, data);
  fs.chmodSync(target, mode ?? 0o644);
}

function firstMissingDir(dir: string): string | undefined {
  let missing: string | undefined;
  let d = dir;
  while (!fs.existsSync(d)) {
    missing = d;
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  return missing;
}

export interface ClaudePreview {
  ok: boolean;
  message: string;
  file: string;
  before: string;
  after: string;
  summary: string[];
  alreadyConnected?: boolean;
}

/** What Connect would write to `file` (nothing is changed). */
export function previewClaudeConnect(layout: ConnectLayout, file: string, events: readonly HookEvent[]): ClaudePreview {
  const now = readNow(file);
  const before = now.bytes?.toString('utf8') ?? '';
  const plan = planClaudeConnect(now.bytes?.toString('utf8'), claudeSpec(layout, events));
  if (!plan.ok) return { ok: false, message: plan.reason, file: now.target, before, after: before, summary: [], alreadyConnected: plan.alreadyConnected };
  return { ok: true, message: `Connect will edit ${now.target}`, file: now.target, before, after: plan.text, summary: plan.summary };
}

/**
 * Connect Claude Code in `file`. `expectedBefore` (from the preview the user saw) must still be the
 * file's content, else nothing is written.
 */
export function connectClaude(
  layout: ConnectLayout,
  mediaDir: string,
  file: string,
  events: readonly HookEvent[],
  options: { expectedBefore?: string; version?: string; versionSource?: string; now?: number } = {},
): Outcome {
  const now = readNow(file);
  const before = now.bytes?.toString('utf8') ?? '';
  if (options.expectedBefore !== undefined && before !== options.expectedBefore) return { ok: false, file: now.target, message: `${now.target} changed while the preview was open; nothing was changed. Run Connect again.` };
  const plan = planClaudeConnect(now.bytes?.toString('utf8'), claudeSpec(layout, events));
  if (!plan.ok) return { ok: false, file: now.target, message: plan.reason };
  const records = readConnectState(layout).filter((r) => r.file !== now.target);
  installScripts(layout, mediaDir);
  const at = options.now ?? Date.now();
  const backup = backupOriginal(layout, now.target, now.bytes, at);
  const createdDir = firstMissingDir(path.dirname(now.target));
  const record: ConnectRecord = {
    kind: 'claude-settings',
    file: now.target,
    existed: now.bytes !== undefined,
    createdDir,
    originalSha256: sha256(now.bytes ?? ''),
    installedSha256: sha256(plan.text),
    backup,
    at,
    undo: plan.undo satisfies ClaudeConnectUndo,
    version: options.version,
    versionSource: options.versionSource,
  };
  // Record first: a crash between the two writes leaves a record that Disconnect can still use.
  writeConnectState(layout, [...records, record]);
  fs.mkdirSync(path.dirname(now.target), { recursive: true });
  writeKeepingMode(now.target, plan.text, now.mode);
  return { ok: true, file: now.target, message: `Connected Claude Code in ${now.target}: ${plan.summary.join('; ')}.${backup ? ` Backup: ${backup}.` : ''}` };
}

function restoreOriginal(record: ConnectRecord, target: string, mode: number | undefined): void {
  if (!record.existed) {
    fs.rmSync(target, { force: true });
    if (record.createdDir) {
      // Remove the folders Connect created, innermost first, while they are empty.
      let d = path.dirname(target);
      for (;;) {
        try {
          fs.rmdirSync(d);
        } catch {
          break;
        }
        if (d === record.createdDir) break;
        d = path.dirname(d);
      }
    }
    return;
  }
  if (!record.backup) throw new Error('the backup of the original file is missing');
  const original = fs.readFileSync(record.backup);
  if (sha256(original) !== record.originalSha256) throw new Error(`the backup ${record.backup} does not match the original any more`);
  writeKeepingMode(target, original, mode);
}

function disconnectOne(layout: ConnectLayout, record: ConnectRecord, rest: ConnectRecord[]): Outcome {
  const now = readNow(record.file);
  const current = now.bytes ?? Buffer.alloc(0);
  const done = (message: string): Outcome => {
    writeConnectState(layout, rest);
    return { ok: true, file: record.file, message };
  };
  if (now.bytes === undefined) return done(`${record.file} no longer exists; nothing to undo.`);
  if (sha256(current) === record.installedSha256) {
    try {
      restoreOriginal(record, now.target, now.mode);
    } catch (error: unknown) {
      return { ok: false, file: record.file, message: `Could not restore ${record.file}: ${error instanceof Error ? error.message : String(error)}. It was left as it is.` };
    }
    return done(record.existed ? `Disconnected: ${record.file} is exactly as it was before Connect.` : `Disconnected: removed ${record.file}, which Connect had created.`);
  }
  const text = current.toString('utf8');
  const plan = record.kind === 'claude-settings' ? planClaudeDisconnect(text, record.undo, layout.bin) : planCodexDisconnect(text, record.undo satisfies CodexConnectUndo);
  if (!plan.ok) return { ok: false, file: record.file, message: `${plan.reason}${record.backup ? ` The original is in ${record.backup}.` : ''}` };
  if (!plan.found) return done(`Taximeter's entries were already gone from ${record.file}; nothing was changed.`);
  if (sha256(plan.text) === record.originalSha256 || (!record.existed && plan.text.trim() === '')) {
    restoreOriginal(record, now.target, now.mode);
    return done(`Disconnected: ${record.file} is exactly as it was before Connect.`);
  }
  writeKeepingMode(now.target, plan.text, now.mode);
  return done(`Disconnected: removed Taximeter's entries from ${record.file}; the changes made since Connect were kept.`);
}

/** Undo Connect in `file` (or in every file Connect edited of that kind when `file` is undefined). */
export function disconnect(layout: ConnectLayout, kind: ConnectRecord['kind'], file?: string): Outcome[] {
  const records = readConnectState(layout);
  const mine = records.filter((r) => r.kind === kind && (file === undefined || r.file === readNow(file).target || r.file === file));
  const out: Outcome[] = [];
  let rest = records;
  for (const r of mine) {
    const others = rest.filter((x) => x !== r);
    const o = disconnectOne(layout, r, others);
    if (o.ok) rest = others;
    out.push(o);
  }
  return out;
}

/** Files Connect has edited, of one kind. */
export function connectedFiles(layout: ConnectLayout, kind: ConnectRecord['kind']): ConnectRecord[] {
  return readConnectState(layout).filter((r) => r.kind === kind);
}

// ---- Codex CLI (config.toml `notify`) --------------------------------------------------------

export function codexNotifyArgv(layout: ConnectLayout): string[] {
  return ['/bin/sh', path.join(layout.bin, 'codex-notify.sh'), path.join(layout.spool, spoolFiles.codexNotify)];
}

export interface CodexPreview {
  ok: boolean;
  message: string;
  file: string;
  before: string;
  after: string;
}

export function previewCodexConnect(layout: ConnectLayout, file: string): CodexPreview {
  const now = readNow(file);
  const before = now.bytes?.toString('utf8') ?? '';
  const plan = planCodexConnect(now.bytes?.toString('utf8'), codexNotifyArgv(layout), layout.bin);
  if (!plan.ok) return { ok: false, message: plan.reason, file: now.target, before, after: before };
  return { ok: true, message: `Connect will edit ${now.target}`, file: now.target, before, after: plan.text };
}

/** Keep the file's original bytes beside Connect's state before changing it; none for a new file. */
function backupOriginal(layout: ConnectLayout, target: string, bytes: Buffer | undefined, at: number): string | undefined {
  if (!bytes) return undefined;
  fs.mkdirSync(layout.backups, { recursive: true });
  const backup = path.join(layout.backups, `${path.basename(target)}.${at}.${sha256(target).slice(0, 8)}.bak`);
  writeFileAtomic(backup, bytes);
  return backup;
}

export function connectCodex(layout: ConnectLayout, mediaDir: string, file: string, options: { expectedBefore?: string; now?: number } = {}): Outcome {
  const now = readNow(file);
  const before = now.bytes?.toString('utf8') ?? '';
  if (options.expectedBefore !== undefined && before !== options.expectedBefore) return { ok: false, file: now.target, message: `${now.target} changed while the preview was open; nothing was changed.` };
  const plan = planCodexConnect(now.bytes?.toString('utf8'), codexNotifyArgv(layout), layout.bin);
  if (!plan.ok) return { ok: false, file: now.target, message: plan.reason };
  const records = readConnectState(layout).filter((r) => r.file !== now.target);
  installScripts(layout, mediaDir);
  const at = options.now ?? Date.now();
  const backup = backupOriginal(layout, now.target, now.bytes, at);
  const record: ConnectRecord = {
    kind: 'codex-config',
    file: now.target,
    existed: now.bytes !== undefined,
    createdDir: firstMissingDir(path.dirname(now.target)),
    originalSha256: sha256(now.bytes ?? ''),
    installedSha256: sha256(plan.text),
    backup,
    at,
    undo: plan.undo,
  };
  writeConnectState(layout, [...records, record]);
  fs.mkdirSync(path.dirname(now.target), { recursive: true });
  writeKeepingMode(now.target, plan.text, now.mode);
  return { ok: true, file: now.target, message: `Connected Codex CLI in ${now.target}: notify runs Taximeter's signal script${plan.undo.previous ? ', then your previous notify command' : ''}.${backup ? ` Backup: ${backup}.` : ''}` };
}
