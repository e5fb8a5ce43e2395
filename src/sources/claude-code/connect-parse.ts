/**
 * One line of a Connect spool → meter events. What each kind gives:
 *
 * - hooks: `SessionEnd reason:clear` then `SessionStart source:clear` → the exact `/clear` link
 *   (same folder, within a minute: the client fires them back to back); `SessionStart` `resume` /
 *   `fork` → markers; `PreCompact` / `PostCompact` → exact compaction timing. The other hooks are
 *   live signals only.
 * - status line: the client's `rate_limits` (the real subscription window), `prompt_cache`, cost.
 * - telemetry: `api_request` with `query_source: compact` → the compaction call itself, exactly.
 *   Every other `api_request` is a request the transcript already holds (one rule, no double
 *   counting: the transcript is the usage stream for what it holds; telemetry adds only the calls
 *   no transcript holds).
 * - Codex notify: a re-read signal (handled by the scanner), no event.
 */
import type { TokenCounts } from '../../core/usage';
import { hookPayloadSchema, otelRecordSchema, spoolEnvelopeSchema, statusLinePayloadSchema, type SpoolEnvelope } from './connect-schema';
import type { ClaudeFileState, LineOutcome } from './parse';

/** Query sources of calls no transcript holds. */
const auxiliaryQuerySources = new Set(['compact']);
/** SessionEnd(clear) and the SessionStart(clear) that follows it are this close (ms). */
const clearLinkMs = 60_000;

export interface SpoolParseContext {
  fileId: number;
  state: ClaudeFileState;
}

function trig(t: string | undefined): 'manual' | 'auto' | 'unknown' {
  return t === 'manual' || t === 'auto' ? t : 'unknown';
}

function hookEvents(env: SpoolEnvelope, ctx: SpoolParseContext, lineLength: number): LineOutcome {
  const p = hookPayloadSchema.safeParse(env.p);
  if (!p.success) return { status: 'rejected', events: [], reason: `hook: ${p.error.issues[0]?.message ?? 'invalid'}` };
  const h = p.data;
  const base = { agent: 'claude-code' as const, fileId: ctx.fileId, sessionId: h.session_id, timestamp: env.t, project: h.cwd, via: 'hook' as const, uid: `hook:${env.t}:${h.session_id}:${h.hook_event_name}:${lineLength}` };
  switch (h.hook_event_name) {
    case 'SessionEnd':
      if (h.reason !== 'clear') return { status: 'ok', events: [] };
      ctx.state.clearEnd = { sessionId: h.session_id, t: env.t, cwd: h.cwd };
      return { status: 'ok', events: [{ ...base, kind: 'session-mark', mark: 'end-clear' }] };
    case 'SessionStart': {
      if (h.source === 'clear') {
        const end = ctx.state.clearEnd;
        const linked = end && env.t - end.t <= clearLinkMs && env.t >= end.t && (end.cwd === undefined || h.cwd === undefined || end.cwd === h.cwd) ? end.sessionId : undefined;
        ctx.state.clearEnd = undefined;
        return { status: 'ok', events: [{ ...base, kind: 'session-mark', mark: 'clear', previousSessionId: linked }] };
      }
      if (h.source === 'resume' || h.source === 'fork') return { status: 'ok', events: [{ ...base, kind: 'session-mark', mark: h.source }] };
      return { status: 'ok', events: [] };
    }
    case 'PreCompact':
      return { status: 'ok', events: [{ ...base, kind: 'session-mark', mark: 'compact-start', trigger: trig(h.trigger) }] };
    case 'PostCompact':
      return { status: 'ok', events: [{ ...base, kind: 'session-mark', mark: 'compact-end', trigger: trig(h.trigger) }] };
    default:
      return { status: 'ok', events: [] };
  }
}

function statusEvents(env: SpoolEnvelope, ctx: SpoolParseContext): LineOutcome {
  const p = statusLinePayloadSchema.safeParse(env.p);
  if (!p.success) return { status: 'rejected', events: [], reason: `status line: ${p.error.issues[0]?.message ?? 'invalid'}` };
  const s = p.data;
  const window = (w: { used_percentage: number; resets_at?: number | null } | null | undefined): { usedPercent: number; resetsAt?: number } | undefined =>
    w ? { usedPercent: w.used_percentage, resetsAt: typeof w.resets_at === 'number' ? w.resets_at * 1000 : undefined } : undefined;
  const rl = s.rate_limits;
  const rateLimits = rl && (rl.five_hour || rl.seven_day) ? { fiveHour: window(rl.five_hour), sevenDay: window(rl.seven_day) } : undefined;
  const pc = s.prompt_cache;
  return {
    status: 'ok',
    events: [
      {
        agent: 'claude-code',
        kind: 'client-status',
        fileId: ctx.fileId,
        sessionId: s.session_id,
        timestamp: env.t,
        project: s.cwd,
        rateLimits,
        promptCache: pc
          ? { requests: pc.requests, misses: pc.misses, hitRatio: pc.hit_ratio ?? undefined, missRecacheTokens: pc.miss_recache_tokens, expectedRebuilds: pc.expected_rebuilds, cacheWriteTokens: pc.cache_write_tokens, ttl: pc.ttl ?? undefined }
          : undefined,
        costUSD: s.cost?.total_cost_usd,
      },
    ],
  };
}

function otelEvents(env: SpoolEnvelope, ctx: SpoolParseContext): LineOutcome {
  const p = otelRecordSchema.safeParse(env.p);
  if (!p.success) return { status: 'rejected', events: [], reason: `telemetry: ${p.error.issues[0]?.message ?? 'invalid'}` };
  const r = p.data;
  if (r.event !== 'api_request' || !auxiliaryQuerySources.has(r.querySource)) return { status: 'skipped', events: [] };
  const oneHour = Math.min(r.cacheCreation1hTokens ?? 0, r.cacheCreationTokens);
  const tokens: TokenCounts = { input: r.inputTokens, output: r.outputTokens, cacheWrite5m: r.cacheCreationTokens - oneHour, cacheWrite1h: oneHour, cacheRead: r.cacheReadTokens };
  return {
    status: 'ok',
    events: [
      {
        agent: 'claude-code',
        kind: 'aux-call',
        fileId: ctx.fileId,
        sessionId: r.sessionId,
        timestamp: r.ts,
        uid: `otel:${r.requestId}`,
        model: r.model,
        tokens,
        clientCostUSD: r.costUSD,
        requestId: r.requestId,
        querySource: r.querySource,
        durationMs: r.durationMs,
      },
    ],
  };
}

export function parseSpoolLine(line: string, ctx: SpoolParseContext): LineOutcome {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { status: 'malformed', events: [], reason: 'not JSON' };
  }
  const env = spoolEnvelopeSchema.safeParse(raw);
  if (!env.success) return { status: 'rejected', events: [], reason: `spool: ${env.error.issues[0]?.message ?? 'invalid'}` };
  switch (env.data.k) {
    case 'hook':
      return hookEvents(env.data, ctx, line.length);
    case 'statusline':
      return statusEvents(env.data, ctx);
    case 'otel':
      return otelEvents(env.data, ctx);
    case 'codex-notify':
      return { status: 'skipped', events: [] };
  }
}

/** The telemetry receiver's spool line for one record. */
export function otelSpoolLine(record: unknown, receivedAt: number): string {
  return `${JSON.stringify({ v: 1, t: receivedAt, k: 'otel', p: record })}\n`;
}
