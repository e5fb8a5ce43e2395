/**
 * Claude Code's OpenTelemetry logs (OTLP/HTTP JSON, `/v1/logs`) → the records Taximeter keeps
 * (../shared/formats/claude-code.md §8). Pure; zod at the boundary.
 *
 * Kept: `api_request` (one per real request, no per-block duplication: model, the four token
 * kinds, cost, duration, request id, `query_source`) and `compaction`. Dropped: everything else,
 * including prompts and tool details a user may have enabled (`OTEL_LOG_USER_PROMPTS`).
 * Numbers arrive as `intValue` (a number or a decimal string), `doubleValue` or, for `compaction`,
 * `stringValue`.
 */
import * as z from 'zod';
import { otelRecordSchema, type OtelRecord } from './connect-schema';

const anyValueSchema = z
  .object({
    stringValue: z.string().optional(),
    intValue: z.union([z.number(), z.string()]).optional(),
    doubleValue: z.number().optional(),
    boolValue: z.boolean().optional(),
  })
  .passthrough();

const logRecordSchema = z.object({
  timeUnixNano: z.union([z.string(), z.number()]).optional(),
  body: anyValueSchema.optional(),
  attributes: z.array(z.object({ key: z.string(), value: anyValueSchema })).default([]),
});

export const otlpLogsSchema = z.object({
  resourceLogs: z.array(
    z.object({
      resource: z.object({ attributes: z.array(z.object({ key: z.string(), value: anyValueSchema })).default([]) }).optional(),
      scopeLogs: z.array(z.object({ logRecords: z.array(z.unknown()).default([]) })).default([]),
    }),
  ),
});

export interface OtlpDecoded {
  records: OtelRecord[];
  /** Log records that failed their schema (counted, never fatal). */
  rejected: number;
  /** Log records of other events (not kept). */
  ignored: number;
}

type AnyValue = z.infer<typeof anyValueSchema>;

function str(v: AnyValue | undefined): string | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  return undefined;
}

function num(v: AnyValue | undefined): number | undefined {
  if (!v) return undefined;
  const raw = v.intValue ?? v.doubleValue ?? v.stringValue;
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function timeOf(attrs: Map<string, AnyValue>, timeUnixNano: string | number | undefined): number | undefined {
  const iso = str(attrs.get('event.timestamp'));
  const t = iso !== undefined ? Date.parse(iso) : NaN;
  if (Number.isFinite(t)) return t;
  if (timeUnixNano === undefined) return undefined;
  const ms = Number(BigInt(String(timeUnixNano)) / 1_000_000n);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** Decode one OTLP/HTTP JSON logs body. `undefined` if it is not one at all. */
export function decodeOtlpLogs(body: unknown): OtlpDecoded | undefined {
  const parsed = otlpLogsSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const out: OtlpDecoded = { records: [], rejected: 0, ignored: 0 };
  for (const rl of parsed.data.resourceLogs) {
    const service = str(rl.resource?.attributes.find((a) => a.key === 'service.name')?.value);
    for (const sl of rl.scopeLogs) {
      for (const raw of sl.logRecords) {
        const lr = logRecordSchema.safeParse(raw);
        if (!lr.success) {
          out.rejected++;
          continue;
        }
        const attrs = new Map(lr.data.attributes.map((a) => [a.key, a.value]));
        const name = str(attrs.get('event.name')) ?? str(lr.data.body)?.replace(/^claude_code\./, '');
        if ((service !== undefined && service !== 'claude-code') || (name !== 'api_request' && name !== 'compaction')) {
          out.ignored++;
          continue;
        }
        let timeUnixNano = lr.data.timeUnixNano;
        if (typeof timeUnixNano === 'string' && !/^\d{1,25}$/.test(timeUnixNano)) timeUnixNano = undefined;
        const common = { sessionId: str(attrs.get('session.id')), ts: timeOf(attrs, timeUnixNano) };
        const candidate =
          name === 'api_request'
            ? {
                event: name,
                ...common,
                model: str(attrs.get('model')),
                inputTokens: num(attrs.get('input_tokens')),
                outputTokens: num(attrs.get('output_tokens')),
                cacheReadTokens: num(attrs.get('cache_read_tokens')),
                cacheCreationTokens: num(attrs.get('cache_creation_tokens')),
                cacheCreation5mTokens: num(attrs.get('cache_creation_5m_tokens')),
                cacheCreation1hTokens: num(attrs.get('cache_creation_1h_tokens')),
                costUSD: num(attrs.get('cost_usd')),
                durationMs: num(attrs.get('duration_ms')),
                requestId: str(attrs.get('request_id')),
                querySource: str(attrs.get('query_source')) ?? '',
              }
            : {
                event: name,
                ...common,
                trigger: str(attrs.get('trigger')),
                durationMs: num(attrs.get('duration_ms')),
                preTokens: num(attrs.get('pre_tokens')),
                postTokens: num(attrs.get('post_tokens')),
                success: str(attrs.get('success')) === undefined ? undefined : str(attrs.get('success')) === 'true',
              };
        const r = otelRecordSchema.safeParse(candidate);
        if (r.success) out.records.push(r.data);
        else out.rejected++;
      }
    }
  }
  return out;
}
