/**
 * Zod schemas for the Codex CLI rollout records we read (../shared/formats/other-agents.md §1).
 * Only the fields we use are declared; everything else is ignored.
 */
import * as z from 'zod';
import { tokenCountSchema } from '../claude-code/schema';

const optionalCount = tokenCountSchema.optional().nullable();

/** OpenAI semantics: `input_tokens` includes cached input; `output_tokens` includes reasoning. */
export const codexUsageSchema = z.object({
  input_tokens: tokenCountSchema,
  cached_input_tokens: optionalCount,
  cache_write_input_tokens: optionalCount,
  output_tokens: tokenCountSchema,
  reasoning_output_tokens: optionalCount,
  total_tokens: optionalCount,
});
export type CodexUsage = z.infer<typeof codexUsageSchema>;

export const envelopeSchema = z.object({
  timestamp: z.string().min(10).max(40),
  type: z.string().max(100),
  ordinal: z.number().int().nonnegative().optional(),
  payload: z.unknown(),
});

export const sessionMetaSchema = z.object({
  id: z.string().min(1).max(200),
  cwd: z.string().max(4096).optional(),
  model_provider: z.string().max(200).optional().nullable(),
  git: z.object({ branch: z.string().max(1024).optional().nullable() }).optional().nullable(),
});

export const turnContextSchema = z.object({
  model: z.string().min(1).max(200).optional(),
  cwd: z.string().max(4096).optional(),
});

export const tokenUsageRecordSchema = z.object({
  response_id: z.string().min(1).max(300),
  session_id: z.string().max(200).optional().nullable(),
  thread_id: z.string().max(200).optional().nullable(),
  usage: codexUsageSchema,
});

export const compactedSchema = z.object({
  message: z.string().optional().nullable(),
  compaction_response_id: z.string().max(300).optional().nullable(),
  window_number: z.number().optional().nullable(),
});

const textPart = z.object({ type: z.string().max(100).optional(), text: z.string().optional() });

/** `event_msg` payloads we read; anything else is activity. */
export const eventMsgSchema = z.object({
  type: z.string().max(100),
  info: z.object({ total_token_usage: codexUsageSchema, last_token_usage: codexUsageSchema.optional().nullable() }).optional().nullable(),
  thread_settings: z.object({ model: z.string().min(1).max(200).optional(), cwd: z.string().max(4096).optional() }).optional().nullable(),
  /** `item_completed`: a user message, or a context compaction with its times. */
  item: z.object({ type: z.string().max(100), content: z.array(textPart).optional() }).optional().nullable(),
  started_at_ms: z.number().optional().nullable(),
  completed_at_ms: z.number().optional().nullable(),
  /** Older versions: `user_message` with the text. */
  message: z.string().optional().nullable(),
});
