/**
 * Zod schemas for Gemini CLI chat records (../shared/formats/other-agents.md §2): a header, a
 * message (upserted by `id`), `$set` (metadata, or a full replacement of the message list) and
 * `$rewindTo`. Only the fields we use are declared.
 */
import * as z from 'zod';
import { tokenCountSchema } from '../claude-code/schema';

const optionalCount = tokenCountSchema.optional().nullable();

/** `input` includes `cached`; `thoughts` are billed as output; `tool` is prompt (input). */
export const geminiTokensSchema = z.object({
  input: tokenCountSchema,
  output: tokenCountSchema,
  cached: optionalCount,
  thoughts: optionalCount,
  tool: optionalCount,
  total: optionalCount,
});
export type GeminiTokens = z.infer<typeof geminiTokensSchema>;

const partSchema = z.object({ text: z.string().optional(), thought: z.boolean().optional(), functionResponse: z.unknown().optional() });

export const messageSchema = z.object({
  id: z.string().min(1).max(300),
  timestamp: z.string().min(10).max(40),
  type: z.string().max(50),
  content: z.union([z.string(), z.array(partSchema)]).optional().nullable(),
  tokens: geminiTokensSchema.optional().nullable(),
  model: z.string().max(200).optional().nullable(),
});
export type GeminiMessage = z.infer<typeof messageSchema>;

export const headerSchema = z.object({
  sessionId: z.string().min(1).max(200),
  startTime: z.string().max(40).optional(),
  lastUpdated: z.string().max(40).optional(),
  kind: z.string().max(50).optional(),
});

export const setSchema = z.object({
  $set: z.object({
    sessionId: z.string().min(1).max(200).optional(),
    lastUpdated: z.string().max(40).optional(),
    /** Items are checked one by one, so one odd message does not hide the others. */
    messages: z.array(z.unknown()).optional(),
  }),
});

const telemetryCount = tokenCountSchema.optional().nullable();

/** An OpenTelemetry log record of the local telemetry file (`attributes` only). */
export const telemetryRecordSchema = z.object({
  attributes: z.object({
    'event.name': z.string().max(200),
    'session.id': z.string().min(1).max(200),
    'event.timestamp': z.string().max(40),
    model: z.string().max(200).optional().nullable(),
    role: z.string().max(100).optional().nullable(),
    prompt_id: z.string().max(300).optional().nullable(),
    input_token_count: telemetryCount,
    output_token_count: telemetryCount,
    cached_content_token_count: telemetryCount,
    thoughts_token_count: telemetryCount,
    tool_token_count: telemetryCount,
    tokens_before: telemetryCount,
    tokens_after: telemetryCount,
  }),
});

/** The older one-document session file. */
export const documentSchema = z.object({
  sessionId: z.string().min(1).max(200),
  startTime: z.string().max(40).optional(),
  lastUpdated: z.string().max(40).optional(),
  messages: z.array(z.unknown()),
});
