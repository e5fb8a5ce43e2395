/**
 * One Codex CLI rollout line → normalised meter events (../shared/formats/other-agents.md §1).
 *
 * - Usage is counted once per model response: `token_usage_record` keyed by `response_id`. A file
 *   without such records (older versions) is billed by the increase of the cumulative
 *   `token_count.total_token_usage`, only when `total_tokens` grew: `token_count` is sometimes
 *   written twice with the same totals, and right after a compaction with an estimated
 *   `last_token_usage` that no request billed. `last_token_usage` is never summed.
 * - OpenAI semantics: cached input is inside `input_tokens`, reasoning inside `output_tokens`.
 * - The model comes from `turn_context` (or `thread_settings_applied`); the session from the
 *   record's `session_id`, else `session_meta`, else the file name.
 * - `compacted` is a compaction; its summarisation call is the record named by
 *   `compaction_response_id`, already counted as usage. The compaction is completed by the lines
 *   that follow it — the estimated size of the new context (a `token_count` whose
 *   `last_token_usage` has no input) and the `ContextCompaction` item with its times — and is
 *   emitted then, or at the next request or turn when those lines are missing.
 * - A user message (`item_completed` UserMessage, or older `user_message`) starts a turn; every
 *   other timestamped line is agent activity.
 */
import type { CompactionEvent, TokenCounts } from '../../core/usage';
import { malformed, ok, parseObject, promptLabel, rejected, skipped, type RecordOutcome } from '../outcome';
import { compactedSchema, envelopeSchema, eventMsgSchema, sessionMetaSchema, tokenUsageRecordSchema, turnContextSchema, type CodexUsage } from './schema';

/** Fields every event of a line shares. */
interface Base {
  agent: 'codex';
  fileId: number;
  sessionId: string;
  timestamp: number;
  project?: string;
  gitBranch?: string;
  uid: string;
}

interface Cumulative {
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
  total: number;
}

/** Per-file parser state; persisted with the file's cursor (plain JSON). */
export interface CodexFileState {
  /** Session of the file: the UUID of its name until `session_meta` names it. */
  sessionId: string;
  model?: string;
  cwd?: string;
  branch?: string;
  /** The file holds `token_usage_record` lines: those are billed, `token_count` is not. */
  records: boolean;
  /** Last cumulative `total_token_usage` seen. */
  lastTotal?: Cumulative;
  /** Prompt size of the latest billed request (context before a compaction). */
  lastContext?: number;
  /** Lines handed to the parser so far (identity of lines without `ordinal`). */
  line: number;
  lastPrompt?: { text: string; ts: number };
  /** A `compacted` record waiting for the lines that complete it. */
  pendingCompaction?: CompactionEvent;
}

export function initialCodexFileState(sessionId = 'unknown'): CodexFileState {
  return { sessionId, records: false, line: 0 };
}

export interface CodexParseContext {
  fileId: number;
  keepPromptText: boolean;
}

/** Disjoint buckets from OpenAI-style usage: uncached input = input − cached − cache writes. */
export function codexTokens(u: CodexUsage): TokenCounts {
  const cached = u.cached_input_tokens ?? 0;
  const written = u.cache_write_input_tokens ?? 0;
  return {
    input: Math.max(0, u.input_tokens - cached - written),
    output: u.output_tokens,
    cacheWrite5m: written,
    cacheWrite1h: 0,
    cacheRead: cached,
  };
}

function cumulative(u: CodexUsage): Cumulative {
  return {
    input: u.input_tokens,
    cached: u.cached_input_tokens ?? 0,
    cacheWrite: u.cache_write_input_tokens ?? 0,
    output: u.output_tokens,
    total: u.total_tokens ?? u.input_tokens + u.output_tokens,
  };
}

function textOf(parts: readonly { text?: string }[] | undefined): string {
  return (parts ?? []).map((p) => p.text ?? '').join('\n');
}

export function parseCodexLine(line: string, state: CodexFileState, ctx: CodexParseContext): RecordOutcome {
  const lineNo = state.line++;
  const parsed = parseObject(line);
  if (!parsed.ok) return malformed(parsed.reason);
  const env = envelopeSchema.safeParse(parsed.value);
  if (!env.success) return rejected(`envelope: ${env.error.issues[0]?.message ?? 'invalid'}`);
  const r = env.data;
  const ts = Date.parse(r.timestamp);
  if (!Number.isFinite(ts)) return rejected('bad timestamp');
  const uid = `codex:${state.sessionId}:${r.ordinal ?? `l${lineNo}`}`;
  const base = (): Base => ({ agent: 'codex', fileId: ctx.fileId, sessionId: state.sessionId, timestamp: ts, project: state.cwd, gitBranch: state.branch, uid });
  const activity = (): RecordOutcome => ok([{ ...base(), kind: 'activity' }]);
  switch (r.type) {
    case 'session_meta': {
      const p = sessionMetaSchema.safeParse(r.payload);
      if (!p.success) return rejected(`session_meta: ${p.error.issues[0]?.message ?? 'invalid'}`);
      state.sessionId = p.data.id;
      state.cwd = p.data.cwd ?? state.cwd;
      state.branch = p.data.git?.branch ?? state.branch;
      return ok([{ ...base(), uid: `codex:${state.sessionId}:meta`, kind: 'activity' }]);
    }
    case 'turn_context': {
      const p = turnContextSchema.safeParse(r.payload);
      if (!p.success) return rejected(`turn_context: ${p.error.issues[0]?.message ?? 'invalid'}`);
      state.model = p.data.model ?? state.model;
      state.cwd = p.data.cwd ?? state.cwd;
      return activity();
    }
    case 'token_usage_record': {
      const p = tokenUsageRecordSchema.safeParse(r.payload);
      if (!p.success) return rejected(`token_usage_record: ${p.error.issues[0]?.message ?? 'invalid'}`);
      const flushed = flushCompaction(state);
      state.records = true;
      const owner = p.data.session_id || state.sessionId;
      const tokens = codexTokens(p.data.usage);
      state.lastContext = p.data.usage.input_tokens;
      return ok([
        ...flushed,
        {
          ...base(),
          kind: 'usage',
          sessionId: owner,
          model: state.model ?? 'unknown',
          dedupeKey: `codex:${owner}:${p.data.response_id}`,
          tokens,
          sidechain: false,
          copiedInto: owner !== state.sessionId ? state.sessionId : undefined,
          provider: 'openai',
        },
      ]);
    }
    case 'compacted': {
      const p = compactedSchema.safeParse(r.payload);
      if (!p.success) return rejected(`compacted: ${p.error.issues[0]?.message ?? 'invalid'}`);
      const flushed = flushCompaction(state);
      state.pendingCompaction = {
        ...base(),
        kind: 'compaction',
        trigger: 'unknown',
        preTokens: state.lastContext,
        summaryChars: p.data.message?.length,
        callDedupeKey: p.data.compaction_response_id ? `codex:${state.sessionId}:${p.data.compaction_response_id}` : undefined,
        model: state.model,
      };
      return ok(flushed);
    }
    case 'event_msg':
      return parseEventMsg(r.payload, state, ctx, base, activity);
    case 'response_item':
    case 'world_state':
      return activity();
    default:
      return skipped;
  }
}

function parseEventMsg(
  payload: unknown,
  state: CodexFileState,
  ctx: CodexParseContext,
  base: () => Base,
  activity: () => RecordOutcome,
): RecordOutcome {
  const p = eventMsgSchema.safeParse(payload);
  if (!p.success) return rejected(`event_msg: ${p.error.issues[0]?.message ?? 'invalid'}`);
  const m = p.data;
  switch (m.type) {
    case 'token_count': {
      if (!m.info) return activity();
      const last = m.info.last_token_usage;
      const pending = state.pendingCompaction;
      if (pending && last && last.input_tokens === 0 && (last.total_tokens ?? 0) > 0) {
        // No request: Codex's estimate of the context the compaction left.
        pending.postTokens = last.total_tokens ?? undefined;
        if (pending.preTokens !== undefined && pending.postTokens !== undefined) pending.droppedTokens = Math.max(0, pending.preTokens - pending.postTokens);
      }
      const now = cumulative(m.info.total_token_usage);
      const prev = state.lastTotal;
      state.lastTotal = now;
      if (state.records || (prev && now.total <= prev.total)) return activity();
      const d = {
        input: now.input - (prev?.input ?? 0),
        cached: now.cached - (prev?.cached ?? 0),
        cacheWrite: now.cacheWrite - (prev?.cacheWrite ?? 0),
        output: now.output - (prev?.output ?? 0),
      };
      const tokens: TokenCounts = {
        input: Math.max(0, d.input - Math.max(0, d.cached) - Math.max(0, d.cacheWrite)),
        output: Math.max(0, d.output),
        cacheWrite5m: Math.max(0, d.cacheWrite),
        cacheWrite1h: 0,
        cacheRead: Math.max(0, d.cached),
      };
      state.lastContext = m.info.last_token_usage?.input_tokens ?? state.lastContext;
      const b = base();
      return ok([
        {
          ...b,
          kind: 'usage',
          model: state.model ?? 'unknown',
          // The running total identifies the increase: stable across re-reads, unique per session.
          dedupeKey: `codex:${state.sessionId}:total:${now.total}`,
          tokens,
          sidechain: false,
          provider: 'openai',
        },
      ]);
    }
    case 'thread_settings_applied':
      state.model = m.thread_settings?.model ?? state.model;
      state.cwd = m.thread_settings?.cwd ?? state.cwd;
      return activity();
    case 'item_completed':
      if (m.item?.type === 'UserMessage') return prompt(textOf(m.item.content), state, ctx, base);
      if (m.item?.type === 'ContextCompaction' && state.pendingCompaction) {
        if (m.started_at_ms && m.completed_at_ms) state.pendingCompaction.durationMs = Math.max(0, m.completed_at_ms - m.started_at_ms);
        return ok([...flushCompaction(state), { ...base(), kind: 'activity' }]);
      }
      return activity();
    case 'task_started':
    case 'task_complete':
      return ok([...flushCompaction(state), { ...base(), kind: 'activity' }]);
    case 'user_message':
      return prompt(m.message ?? '', state, ctx, base);
    default:
      return activity();
  }
}

function prompt(text: string, state: CodexFileState, ctx: CodexParseContext, base: () => Base): RecordOutcome {
  const b = base();
  // Some versions write the same user message twice (protocol event and item): one turn.
  const last = state.lastPrompt;
  if (last && last.text === text && Math.abs(b.timestamp - last.ts) < 2000) return ok([{ ...b, kind: 'activity' }]);
  state.lastPrompt = { text, ts: b.timestamp };
  return ok([{ ...b, kind: 'prompt', text: ctx.keepPromptText ? promptLabel(text) : '' }]);
}

/** The waiting compaction, if any, as events (and no longer waiting). */
function flushCompaction(state: CodexFileState): CompactionEvent[] {
  const c = state.pendingCompaction;
  state.pendingCompaction = undefined;
  return c ? [c] : [];
}
