/**
 * Roo Code records → normalised meter events (../shared/formats/other-agents.md §4), through the
 * `ui_messages.json` reading it shares with Cline (../ui-messages.ts), with Roo's rules: since
 * `apiProtocol` appeared `tokensIn` is the whole prompt; the condensing call is only a cost on a
 * `condense_context` row; a subtask's work belongs to its root task (as sidechain work).
 * Roo's rows name no model: requests are priced from Roo's own recorded cost (client-reported).
 */
import { uiMessageEvents, type UiResult } from '../ui-messages';
import { historyItemSchema, taskIndexSchema, type RooHistoryItem } from './schema';

export interface RooTaskContext {
  taskId: string;
  fileId: number;
  keepPromptText: boolean;
  history?: RooHistoryItem;
}

export function rooTaskEvents(rows: readonly unknown[], ctx: RooTaskContext): UiResult {
  const root = ctx.history?.rootTaskId || ctx.history?.parentTaskId || ctx.taskId;
  return uiMessageEvents(rows, {
    agent: 'roo',
    taskId: ctx.taskId,
    sessionId: root,
    fileId: ctx.fileId,
    project: ctx.history?.workspace ?? undefined,
    keepPromptText: ctx.keepPromptText,
    modelAt: () => ({ model: 'unknown' }),
  });
}

/** History items by task id, from `tasks/_index.json` (newer versions). */
export function historyIndex(doc: unknown): Map<string, RooHistoryItem> {
  const out = new Map<string, RooHistoryItem>();
  const p = taskIndexSchema.safeParse(doc);
  if (!p.success) return out;
  for (const e of p.data.entries) {
    const h = historyItemSchema.safeParse(e);
    if (h.success) out.set(h.data.id, h.data);
  }
  return out;
}

export function historyItem(doc: unknown): RooHistoryItem | undefined {
  const h = historyItemSchema.safeParse(doc);
  return h.success ? h.data : undefined;
}
