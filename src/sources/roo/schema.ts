/**
 * Zod schemas for Roo Code's task records (the `ui_messages.json` rows are in ../ui-messages.ts):
 * the per-task `history_item.json` and the `tasks/_index.json` cache, for the task's folder and
 * its place among subtasks. Only the fields we use.
 */
import * as z from 'zod';

export const historyItemSchema = z.object({
  id: z.string().min(1).max(200),
  rootTaskId: z.string().max(200).optional().nullable(),
  parentTaskId: z.string().max(200).optional().nullable(),
  workspace: z.string().max(4096).optional().nullable(),
});
export type RooHistoryItem = z.infer<typeof historyItemSchema>;

export const taskIndexSchema = z.object({ entries: z.array(z.unknown()) });
