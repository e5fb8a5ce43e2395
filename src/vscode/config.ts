/**
 * The `taximeter.*` settings from the editor, read through core/settings.ts (a bad value falls
 * back to its default and is logged, never thrown).
 */
import * as vscode from 'vscode';
import { settingsFrom, type Settings } from '../core/settings';

export { planSettings, type Settings } from '../core/settings';

export const configSection = 'taximeter';

export function readSettings(log?: { warn(message: string): void }): Settings {
  const c = vscode.workspace.getConfiguration(configSection);
  return settingsFrom((key) => c.get(key), log ? (m) => log.warn(m) : undefined);
}
