/**
 * Zod schemas for the Claude Code transcript records we read (../shared/formats/claude-code.md).
 * Only the fields we use are declared; everything else is ignored. Types come from the schemas.
 */
import * as z from 'zod';

/** A token count: a non-negative integer below 10^10. Strings, negatives and absurd values are rejected. */
export const tokenCountSchema = z.number().int().nonnegative().max(1e10);
const optionalCount = tokenCountSchema.optional().nullable();

export const usageSchema = z.object({
  input_tokens: tokenCountSchema,
  output_tokens: tokenCountSchema,
  cache_creation_input_tokens: optionalCount,
  cache_read_input_tokens: optionalCount,
  cache_creation: z
    .object({
      ephemeral_5m_input_tokens: optionalCount,
      ephemeral_1h_input_tokens: optionalCount,
    })
    .optional()
    .nullable(),
});
export type ClaudeUsage = z.infer<typeof usageSchema>;

const isoTimestamp = z.string().min(10).max(40);

const chainBase = {
  sessionId: z.string().min(1).max(200),
  timestamp: isoTimestamp,
  uuid: z.string().max(200).optional(),
  isSidechain: z.boolean().optional(),
  cwd: z.string().max(4096).optional(),
  gitBranch: z.string().max(1024).optional(),
};

export const assistantRecordSchema = z.object({
  type: z.literal('assistant'),
  ...chainBase,
  requestId: z.string().max(200).optional(),
  requestSessionId: z.string().max(200).optional(),
  message: z.object({
    id: z.string().min(1).max(200),
    model: z.string().min(1).max(200),
    usage: usageSchema,
  }),
});
export type AssistantRecord = z.infer<typeof assistantRecordSchema>;

const contentBlockSchema = z.object({ type: z.string().max(100), text: z.string().optional() });

export const userRecordSchema = z.object({
  type: z.literal('user'),
  ...chainBase,
  isMeta: z.boolean().optional(),
  isCompactSummary: z.boolean().optional(),
  message: z.object({
    content: z.union([z.string(), z.array(contentBlockSchema)]),
  }),
});
export type UserRecord = z.infer<typeof userRecordSchema>;

export const systemRecordSchema = z.object({
  type: z.literal('system'),
  ...chainBase,
  subtype: z.string().max(100).optional(),
  compactMetadata: z
    .object({
      trigger: z.string().max(50).optional(),
      preTokens: tokenCountSchema.optional(),
      postTokens: tokenCountSchema.optional(),
      durationMs: z.number().nonnegative().max(1e10).optional(),
      cumulativeDroppedTokens: tokenCountSchema.optional(),
    })
    .optional(),
});
export type SystemRecord = z.infer<typeof systemRecordSchema>;

const modelUsageSchema = z.object({
  inputTokens: tokenCountSchema,
  outputTokens: tokenCountSchema,
  cacheReadInputTokens: tokenCountSchema.optional(),
  cacheCreationInputTokens: tokenCountSchema.optional(),
  cacheCreationEphemeral5mInputTokens: tokenCountSchema.optional(),
  cacheCreationEphemeral1hInputTokens: tokenCountSchema.optional(),
  costUSD: z.number().nonnegative().max(1e9),
});

export const costStateRecordSchema = z.object({
  type: z.literal('cost-state'),
  sessionId: z.string().min(1).max(200),
  totalCostUSD: z.number().nonnegative().max(1e9),
  modelUsage: z.record(z.string().max(200), modelUsageSchema),
});
export type CostStateRecord = z.infer<typeof costStateRecordSchema>;

/** `queue-operation`: prompts queued by the client; `/clear` here ends the conversation in this session. */
export const queueOperationSchema = z.object({
  type: z.literal('queue-operation'),
  operation: z.string().max(50),
  timestamp: isoTimestamp,
  sessionId: z.string().min(1).max(200),
  content: z.unknown().optional(),
});
export type QueueOperationRecord = z.infer<typeof queueOperationSchema>;
