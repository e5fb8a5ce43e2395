/**
 * Where Connect keeps its files, under the extension's global storage (stable across extension
 * updates, unlike the install folder): the scripts agents run, the spool they append to, backups of
 * every file Connect edited, and the record of what it changed. Nothing else on the machine is
 * touched except the settings files the user chose.
 */
import * as path from 'node:path';

export interface ConnectLayout {
  root: string;
  /** The scripts agents run (copied from the extension's media/connect/). */
  bin: string;
  /** Append-only JSONL files the scripts and the telemetry receiver write; the engine reads them. */
  spool: string;
  backups: string;
  /** What Connect changed, to undo it exactly (connect-state.json). */
  stateFile: string;
}

export function connectLayout(storageDir: string): ConnectLayout {
  const root = path.join(storageDir, 'connect');
  return { root, bin: path.join(root, 'bin'), spool: path.join(root, 'spool'), backups: path.join(root, 'backups'), stateFile: path.join(root, 'connect-state.json') };
}

export const spoolFiles = {
  hooks: 'claude-hooks.jsonl',
  statusLine: 'claude-statusline.jsonl',
  otel: 'claude-otel.jsonl',
  codexNotify: 'codex-notify.jsonl',
} as const;

export const scriptNames = ['hook.sh', 'statusline.sh', 'codex-notify.sh'] as const;
