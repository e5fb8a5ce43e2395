/**
 * Zod schemas for what Connect spools (../shared/formats/claude-code.md §6–§8): the envelope the
 * scripts write (`{"v":1,"t":<received ms>,"k":<kind>,"p":<payload>}`), hook and status line
 * payloads as the client sends them, and the telemetry records the receiver keeps. Only the fields
 * Taximeter uses are named; unknown fields pass, a bad optional part is dropped, not the line.
 */
import * as z from 'zod';

const count = z.number().int().nonnegative();
const finite = z.number().finite();

export const spoolEnvelopeSchema = z.object({
  v: z.literal(1),
  t: z.number().int().positive(),
  k: z.enum(['hook', 'statusline', 'otel', 'codex-notify']),
  p: z.record(z.string(), z.unknown()),
});
export type SpoolEnvelope = z.infer<typeof spoolEnvelopeSchema>;

export const hookPayloadSchema = z.object({
  session_id: z.string().min(1).max(200),
  hook_event_name: z.string().min(1).max(100),
  cwd: z.string().max(4096).optional().catch(undefined),
  transcript_path: z.string().max(4096).optional().catch(undefined),
  source: z.string().max(100).optional().catch(undefined),
  reason: z.string().max(100).optional().catch(undefined),
  trigger: z.string().max(100).optional().catch(undefined),
});
export type HookPayload = z.infer<typeof hookPayloadSchema>;

/** `resets_at` is Unix seconds (the client's own reader multiplies it by 1000). */
const rateWindowSchema = z.object({ used_percentage: finite.min(0).max(1000), resets_at: finite.nullable().optional() });

export const statusLinePayloadSchema = z.object({
  session_id: z.string().min(1).max(200),
  cwd: z.string().max(4096).optional().catch(undefined),
  cost: z.object({ total_cost_usd: finite.nonnegative().optional() }).optional().catch(undefined),
  /** Subscription logins only (the client reads the `anthropic-ratelimit-unified-*` headers). */
  rate_limits: z
    .object({ five_hour: rateWindowSchema.nullable().optional().catch(undefined), seven_day: rateWindowSchema.nullable().optional().catch(undefined) })
    .nullable()
    .optional()
    .catch(undefined),
  prompt_cache: z
    .object({
      requests: count,
      misses: count,
      hit_ratio: finite.min(0).max(1).nullable().optional(),
      miss_recache_tokens: count,
      expected_rebuilds: count.optional(),
      cache_write_tokens: count.optional(),
      ttl: z.string().max(20).nullable().optional(),
    })
    .optional()
    .catch(undefined),
});
export type StatusLinePayload = z.infer<typeof statusLinePayloadSchema>;

/** What the telemetry receiver keeps of one OTLP log record (see otlp.ts). */
export const otelRecordSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('api_request'),
    sessionId: z.string().min(1).max(200),
    ts: z.number().int().positive(),
    model: z.string().min(1).max(200),
    inputTokens: count,
    outputTokens: count,
    cacheReadTokens: count,
    cacheCreationTokens: count,
    cacheCreation5mTokens: count.optional(),
    cacheCreation1hTokens: count.optional(),
    costUSD: finite.nonnegative().optional(),
    durationMs: count.optional(),
    requestId: z.string().min(1).max(200),
    querySource: z.string().max(200),
  }),
  z.object({
    event: z.literal('compaction'),
    sessionId: z.string().min(1).max(200),
    ts: z.number().int().positive(),
    trigger: z.string().max(50).optional(),
    durationMs: count.optional(),
    preTokens: count.optional(),
    postTokens: count.optional(),
    success: z.boolean().optional(),
  }),
]);
export type OtelRecord = z.infer<typeof otelRecordSchema>;
