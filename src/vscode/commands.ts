/**
 * Every command id, in one place (package.json `contributes.commands` lists the user-facing ones).
 */
export const CommandId = {
  // User facing
  openPanel: 'taximeter.openPanel',
  showSessions: 'taximeter.showSessions',
  refresh: 'taximeter.refresh',
  startTask: 'taximeter.startTask',
  stopTask: 'taximeter.stopTask',
  renameTask: 'taximeter.renameTask',
  exportReport: 'taximeter.exportReport',
  showLog: 'taximeter.showLog',
  connectClaudeCode: 'taximeter.connectClaudeCode',
  disconnectClaudeCode: 'taximeter.disconnectClaudeCode',
  connectCodex: 'taximeter.connectCodex',
  disconnectCodex: 'taximeter.disconnectCodex',
  startTelemetryReceiver: 'taximeter.startTelemetryReceiver',
  stopTelemetryReceiver: 'taximeter.stopTelemetryReceiver',
} as const;
export type CommandId = (typeof CommandId)[keyof typeof CommandId];

/** The cost panel's webview type (package.json `onWebviewPanel:` activation). */
export const panelViewType = 'taximeter.costPanel';
