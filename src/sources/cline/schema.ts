/**
 * Zod schemas for Cline's side files (the `ui_messages.json` rows are in ../ui-messages.ts):
 * `task_metadata.json` (which model was active when), `state/taskHistory.json` (the task's
 * folder), and the 4.x SDK session manifest and messages. Only the fields we use.
 */
import * as z from 'zod';
import { tokenCountSchema } from '../claude-code/schema';

export const taskMetadataSchema = z.object({
  model_usage: z
    .array(z.object({ ts: z.number(), model_id: z.string().max(200), model_provider_id: z.string().max(200).optional().nullable() }))
    .optional()
    .nullable(),
});

export const taskHistorySchema = z.array(z.object({ id: z.string().max(200), cwdOnTaskInitialization: z.string().max(4096).optional().nullable() }).loose());

export const sdkManifestSchema = z.object({
  session_id: z.string().min(1).max(200),
  provider: z.string().max(200).optional().nullable(),
  model: z.string().max(200).optional().nullable(),
  cwd: z.string().max(4096).optional().nullable(),
  workspace_root: z.string().max(4096).optional().nullable(),
});

const count = tokenCountSchema.optional().nullable();

export const sdkMessageSchema = z.object({
  id: z.string().max(200).optional().nullable(),
  role: z.string().max(50),
  content: z.unknown().optional(),
  ts: z.number(),
  modelInfo: z.object({ id: z.string().max(200).optional().nullable(), provider: z.string().max(200).optional().nullable() }).optional().nullable(),
  /** `inputTokens` is the whole prompt (cache included). */
  metrics: z
    .object({ inputTokens: count, outputTokens: count, cacheReadTokens: count, cacheWriteTokens: count, cost: z.number().nonnegative().max(1e6).optional().nullable() })
    .optional()
    .nullable(),
});
export type SdkMessage = z.infer<typeof sdkMessageSchema>;

export const sdkMessagesSchema = z.union([z.array(z.unknown()), z.object({ messages: z.array(z.unknown()) })]);
