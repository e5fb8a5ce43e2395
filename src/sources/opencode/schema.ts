/**
 * Zod schemas for the OpenCode rows we read: `session` columns, and the JSON `data` column of
 * `message` and `part` (../shared/formats/other-agents.md §5). Only the fields we use.
 */
import * as z from 'zod';
import { tokenCountSchema } from '../claude-code/schema';

export const sessionRowSchema = z.object({
  id: z.string().min(1).max(200),
  parent_id: z.string().max(200).nullable(),
  directory: z.string().max(4096).nullable().optional(),
});

export const messageRowSchema = z.object({
  id: z.string().min(1).max(200),
  session_id: z.string().min(1).max(200),
  time_created: z.number(),
  time_updated: z.number(),
  data: z.string(),
});

/** `input` is uncached input; `output` excludes `reasoning`; cache reads and writes apart. */
export const openCodeTokensSchema = z.object({
  input: tokenCountSchema,
  output: tokenCountSchema,
  reasoning: tokenCountSchema.optional().nullable(),
  cache: z.object({ read: tokenCountSchema.optional().nullable(), write: tokenCountSchema.optional().nullable() }).optional().nullable(),
});
export type OpenCodeTokens = z.infer<typeof openCodeTokensSchema>;

export const messageDataSchema = z.object({
  role: z.string().max(50),
  parentID: z.string().max(200).optional().nullable(),
  modelID: z.string().max(200).optional().nullable(),
  providerID: z.string().max(200).optional().nullable(),
  cost: z.number().nonnegative().max(1e6).optional().nullable(),
  tokens: openCodeTokensSchema.optional().nullable(),
  summary: z.unknown().optional(),
  mode: z.string().max(100).optional().nullable(),
  time: z.object({ created: z.number().optional().nullable(), completed: z.number().optional().nullable() }).optional().nullable(),
  path: z.object({ cwd: z.string().max(4096).optional().nullable() }).optional().nullable(),
});
export type OpenCodeMessage = z.infer<typeof messageDataSchema>;

export const partRowSchema = z.object({ message_id: z.string().min(1).max(200), data: z.string() });

export const partDataSchema = z.object({
  type: z.string().max(100),
  text: z.string().optional().nullable(),
  synthetic: z.boolean().optional().nullable(),
  auto: z.boolean().optional().nullable(),
});
