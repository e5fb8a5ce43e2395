/**
 * The `ui_messages.json` stream Cline writes and Roo Code inherited (`ClineMessage[]`,
 * ../shared/formats/other-agents.md §3–4), turned into meter events. The two differ in a few
 * rules, passed in as the dialect:
 *
 * - `api_req_started` is one row per API request, its JSON `text` rewritten in place (same `ts`)
 *   when the stream ends: usage is an upsert keyed by task and row `ts`. A row with no tokens yet
 *   (in flight) is not a request yet; a cancelled or failed one with tokens is (they were billed).
 * - Cline: `tokensIn` is uncached input. Roo since `apiProtocol` appeared (2025-10-31):
 *   `tokensIn` is the whole prompt, so uncached = tokensIn − cacheReads − cacheWrites.
 * - `cost` is the agent's own price, kept as a second opinion (and for models our table lacks).
 * - Cline's `deleted_api_reqs` (usage of messages the user deleted) and `subagent_usage` rows
 *   carry the same fields and are usage too.
 * - Compactions: Cline's auto-condense is an ordinary request followed by a `summarizeTask` tool
 *   row (manual: an `ask: "condense"` row), so the request before it is the dead weight; Roo's
 *   `condense_context` call is in no request row, only its cost is recorded (the tokens are
 *   estimated); `sliding_window_truncation` drops context without a call; Cline 4.x reports its
 *   compaction as a `compaction` row (`status: "completed"`, token counts estimated by Cline).
 */
import * as z from 'zod';
import type { AgentId, CompactionEvent, MeterEvent, TokenCounts } from '../core/usage';
import { tokenCountSchema } from './claude-code/schema';
import { promptLabel } from './outcome';

const count = tokenCountSchema.optional().nullable();

export const uiMessageSchema = z.object({
  ts: z.number().int().nonnegative(),
  type: z.string().max(20),
  say: z.string().max(100).optional().nullable(),
  ask: z.string().max(100).optional().nullable(),
  text: z.string().optional().nullable(),
  modelInfo: z.object({ modelId: z.string().max(200).optional().nullable(), providerId: z.string().max(200).optional().nullable() }).optional().nullable(),
  contextCondense: z
    .object({ cost: z.number().nonnegative().max(1e6).optional().nullable(), prevContextTokens: count, newContextTokens: count, summary: z.string().optional().nullable() })
    .optional()
    .nullable(),
  contextTruncation: z.object({ prevContextTokens: count, newContextTokens: count }).optional().nullable(),
});
export type UiMessage = z.infer<typeof uiMessageSchema>;

export const apiRequestSchema = z.object({
  tokensIn: count,
  tokensOut: count,
  cacheWrites: count,
  cacheReads: count,
  cost: z.number().nonnegative().max(1e6).optional().nullable(),
  apiProtocol: z.string().max(50).optional().nullable(),
  cancelReason: z.string().max(100).optional().nullable(),
});
export type ApiRequest = z.infer<typeof apiRequestSchema>;

export interface ModelChoice {
  model: string;
  provider?: string;
}

export interface UiContext {
  agent: Extract<AgentId, 'cline' | 'roo'>;
  taskId: string;
  /** The session the task's work belongs to: the task, or the root task of a subtask (Roo). */
  sessionId: string;
  fileId: number;
  project?: string;
  keepPromptText: boolean;
  /** The model active at a time (Cline `task_metadata.json`), when the row does not say. */
  modelAt(ts: number): ModelChoice;
}

export interface UiResult {
  events: MeterEvent[];
  /** Rows that failed the schema (or whose request JSON did not parse). */
  rejected: number;
  rows: number;
}

/** Provider ids of Cline/Roo → the price table's provider (others: let the table guess). */
export function pricingProvider(providerId: string | null | undefined): string | undefined {
  const p = (providerId ?? '').toLowerCase();
  if (p === 'anthropic' || p === 'claude-code') return 'anthropic';
  if (p === 'openai' || p === 'openai-native' || p === 'openai-codex') return 'openai';
  if (p === 'gemini' || p === 'vertex' || p === 'google') return 'google';
  return undefined;
}

function requestTokens(agent: UiContext['agent'], r: ApiRequest): TokenCounts {
  const tokensIn = r.tokensIn ?? 0;
  const reads = r.cacheReads ?? 0;
  const writes = r.cacheWrites ?? 0;
  // Roo's rows with `apiProtocol` report the whole prompt; Cline's (and Roo's older rows) uncached input.
  const input = agent === 'roo' && r.apiProtocol ? Math.max(0, tokensIn - reads - writes) : tokensIn;
  return { input, output: r.tokensOut ?? 0, cacheWrite5m: writes, cacheWrite1h: 0, cacheRead: reads };
}

function parseRequest(text: string | null | undefined): ApiRequest | undefined {
  if (!text) return undefined;
  try {
    const p = apiRequestSchema.safeParse(JSON.parse(text));
    return p.success ? p.data : undefined;
  } catch {
    return undefined;
  }
}

function toolName(text: string | null | undefined): string | undefined {
  if (!text || !text.startsWith('{')) return undefined;
  try {
    const o: unknown = JSON.parse(text);
    return typeof o === 'object' && o !== null && 'tool' in o && typeof o.tool === 'string' ? o.tool : undefined;
  } catch {
    return undefined;
  }
}

const compactionRowSchema = z.object({ status: z.string().max(50), mode: z.string().max(50).optional().nullable(), tokensBefore: count, tokensAfter: count });

/** A completed Cline 4.x `compaction` row (started, skipped, failed and cancelled ones are not compactions). */
function compactionRow(text: string | null | undefined): z.infer<typeof compactionRowSchema> | undefined {
  if (!text) return undefined;
  try {
    const p = compactionRowSchema.safeParse(JSON.parse(text));
    return p.success && p.data.status === 'completed' ? p.data : undefined;
  } catch {
    return undefined;
  }
}

const usageRows = new Set(['api_req_started', 'deleted_api_reqs', 'subagent_usage']);

export function uiMessageEvents(rows: readonly unknown[], ctx: UiContext): UiResult {
  const events: MeterEvent[] = [];
  let rejected = 0;
  let lastRequestKey: string | undefined;
  let lastRequestModel: string | undefined;
  rows.forEach((raw, index) => {
    const p = uiMessageSchema.safeParse(raw);
    if (!p.success) {
      rejected++;
      return;
    }
    const m = p.data;
    const say = m.type === 'say' ? (m.say ?? '') : '';
    const base = { agent: ctx.agent, fileId: ctx.fileId, sessionId: ctx.sessionId, timestamp: m.ts, project: ctx.project, uid: `${ctx.agent}:${ctx.taskId}:${m.ts}:${say || m.ask || m.type}` };
    if (usageRows.has(say)) {
      const req = parseRequest(m.text);
      if (!req) {
        if (m.text) rejected++;
        return;
      }
      const tokens = requestTokens(ctx.agent, req);
      if (tokens.input + tokens.output + tokens.cacheRead + tokens.cacheWrite5m === 0) {
        events.push({ ...base, kind: 'activity' });
        return;
      }
      const chosen = m.modelInfo?.modelId ? { model: m.modelInfo.modelId, provider: pricingProvider(m.modelInfo.providerId) } : ctx.modelAt(m.ts);
      const dedupeKey = `${ctx.agent}:${ctx.taskId}:${m.ts}${say === 'api_req_started' ? '' : `:${say}`}`;
      events.push({
        ...base,
        kind: 'usage',
        model: chosen.model,
        provider: chosen.provider,
        dedupeKey,
        tokens,
        sidechain: say === 'subagent_usage' || ctx.sessionId !== ctx.taskId,
        upsert: true,
        agentCostUSD: req.cost !== undefined && req.cost !== null && req.cost > 0 ? req.cost : undefined,
      });
      if (say === 'api_req_started') {
        lastRequestKey = dedupeKey;
        lastRequestModel = chosen.model;
      }
      return;
    }
    const tool = say === 'tool' ? toolName(m.text) : undefined;
    if ((ctx.agent === 'cline' && tool === 'summarizeTask') || (m.type === 'ask' && m.ask === 'condense')) {
      const c: CompactionEvent = { ...base, kind: 'compaction', trigger: tool === 'summarizeTask' ? 'auto' : 'manual', callDedupeKey: lastRequestKey, model: lastRequestModel };
      events.push(c);
      return;
    }
    if (say === 'condense_context' && m.contextCondense) {
      const cc = m.contextCondense;
      const summaryChars = cc.summary?.length;
      const pre = cc.prevContextTokens ?? undefined;
      const c: CompactionEvent = {
        ...base,
        kind: 'compaction',
        trigger: 'unknown',
        preTokens: pre,
        postTokens: cc.newContextTokens ?? undefined,
        droppedTokens: pre !== undefined && cc.newContextTokens != null ? Math.max(0, pre - cc.newContextTokens) : undefined,
        summaryChars,
        extraCostUSD: cc.cost ?? undefined,
        // Roo records no token split for the call: about the context read, the summary written.
        extraTokens: pre !== undefined ? { input: pre, output: Math.ceil((summaryChars ?? 0) / 4), cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } : undefined,
        estimated: true,
        model: lastRequestModel,
      };
      events.push(c);
      return;
    }
    if (say === 'compaction') {
      const c = compactionRow(m.text);
      if (c) events.push({ ...base, kind: 'compaction', trigger: c.mode === 'manual' ? 'manual' : c.mode === 'auto' ? 'auto' : 'unknown', preTokens: c.tokensBefore ?? undefined, postTokens: c.tokensAfter ?? undefined, model: lastRequestModel });
      return;
    }
    if (say === 'sliding_window_truncation' && m.contextTruncation) {
      const t = m.contextTruncation;
      const pre = t.prevContextTokens ?? undefined;
      const post = t.newContextTokens ?? undefined;
      events.push({ ...base, kind: 'compaction', trigger: 'auto', preTokens: pre, postTokens: post, droppedTokens: pre !== undefined && post !== undefined ? Math.max(0, pre - post) : undefined });
      return;
    }
    const isTask = say === 'task' || (ctx.agent === 'roo' && index === 0 && say === 'text');
    if (isTask || say === 'user_feedback') {
      events.push({ ...base, kind: 'prompt', text: ctx.keepPromptText ? promptLabel(m.text ?? '') : '' });
      return;
    }
    if (m.type === 'ask') return; // waiting for the user is not agent work
    events.push({ ...base, kind: 'activity' });
  });
  return { events, rejected, rows: rows.length };
}
