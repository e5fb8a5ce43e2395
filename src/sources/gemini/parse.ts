/**
 * Gemini CLI chat records → normalised meter events (../shared/formats/other-agents.md §2).
 *
 * - One `gemini` message = one model response. The same message id is written several times
 *   (without, then with tool calls; tokens patched in): usage is an upsert keyed by session and
 *   message id, accounted as it arrives. A later `$set.messages` (resume, compression) rewrites the
 *   list, often without tokens: it never removes usage already counted, and its messages that do
 *   carry tokens are the same upserts again. `$rewindTo` removes nothing either: the calls were made.
 * - Tokens: `input` includes `cached`, `thoughts` are billed as output, `tool` is prompt input.
 * - A user message line with text starts a turn (tool results are activity).
 * - Compression shows only as a rewritten list with a `<state_snapshot>` user message; its two
 *   model calls (summariser and verifier) are in no chat record. When the user enabled the local
 *   telemetry file, they are read from there (`gemini_cli.api_response` with role
 *   `utility_compressor`, then `gemini_cli.chat_compression`): measured. Otherwise the compaction
 *   carries an estimate of them, marked estimated: each read about the context before it (split
 *   into cached and uncached like the last response) and wrote about the snapshot's length.
 * - Other calls only the telemetry shows (roles other than `main`) are sidechain requests; `main`
 *   calls are the chat's responses and are counted from the chat.
 */
import type { CompactionEvent, MeterEvent, TokenCounts } from '../../core/usage';
import { ok, promptLabel, rejected, type RecordOutcome } from '../outcome';
import { documentSchema, headerSchema, messageSchema, setSchema, telemetryRecordSchema, type GeminiMessage, type GeminiTokens } from './schema';

/** Per-file parser state; persisted with the file's cursor (plain JSON). */
export interface GeminiFileState {
  sessionId?: string;
  /** Latest time seen (ms), for records that carry none. */
  maxTs: number;
  line: number;
  model?: string;
  /** Prompt size of the latest response, and the cached share of it. */
  lastPrompt?: number;
  cachedShare?: number;
  /** Telemetry file: compressor calls seen, per session, not yet closed by a `chat_compression`. */
  pending?: Record<string, { tokens: TokenCounts; model?: string }>;
}

export function initialGeminiFileState(): GeminiFileState {
  return { maxTs: 0, line: 0 };
}

export interface GeminiParseContext {
  fileId: number;
  /** Identity of the file within its session folder, for line uids. */
  fileKey: string;
  /** Session id when no header named one (file name stem). */
  fallbackSessionId: string;
  /** A subagent's chat (`chats/<parent>/<id>.jsonl`): its work belongs to the parent session. */
  parentSessionId?: string;
  project?: string;
  keepPromptText: boolean;
  /** The Gemini home has a local telemetry file: compressions are measured there, not estimated here. */
  telemetry: boolean;
}

/** Summariser + verifier. */
const compressionCalls = 2;
const snapshotMarker = '<state_snapshot>';

export function geminiTokens(t: GeminiTokens): TokenCounts {
  const cached = t.cached ?? 0;
  return {
    input: Math.max(0, t.input - cached) + (t.tool ?? 0),
    output: t.output + (t.thoughts ?? 0),
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    cacheRead: cached,
  };
}

function textOf(m: GeminiMessage): { text: string; toolResult: boolean } {
  if (typeof m.content === 'string') return { text: m.content, toolResult: false };
  const parts = m.content ?? [];
  return {
    text: parts
      .filter((p) => typeof p.text === 'string' && !p.thought)
      .map((p) => p.text ?? '')
      .join('\n'),
    toolResult: parts.some((p) => p.functionResponse !== undefined),
  };
}

function sessionOf(state: GeminiFileState, ctx: GeminiParseContext): string {
  return state.sessionId ?? ctx.fallbackSessionId;
}

/** Events of one message. `listed`: it came inside a `$set.messages` list, not as its own record. */
function messageEvents(m: GeminiMessage, uid: string, listed: boolean, state: GeminiFileState, ctx: GeminiParseContext): MeterEvent[] {
  const ts = Date.parse(m.timestamp);
  if (!Number.isFinite(ts)) return [];
  state.maxTs = Math.max(state.maxTs, ts);
  const ownSession = sessionOf(state, ctx);
  const sessionId = ctx.parentSessionId ?? ownSession;
  const base = { agent: 'gemini' as const, fileId: ctx.fileId, sessionId, timestamp: ts, project: ctx.project, uid };
  if (m.type === 'gemini' && m.tokens) {
    if (m.model) state.model = m.model;
    state.lastPrompt = m.tokens.input + (m.tokens.tool ?? 0);
    state.cachedShare = m.tokens.input > 0 ? (m.tokens.cached ?? 0) / m.tokens.input : 0;
    return [
      {
        ...base,
        kind: 'usage',
        model: m.model ?? state.model ?? 'unknown',
        dedupeKey: `gemini:${ownSession}:${m.id}`,
        tokens: geminiTokens(m.tokens),
        sidechain: ctx.parentSessionId !== undefined,
        provider: 'google',
        upsert: true,
      },
    ];
  }
  if (m.type === 'user') {
    const { text, toolResult } = textOf(m);
    if (text.includes(snapshotMarker)) {
      if (ctx.telemetry) return [];
      const summaryChars = text.length;
      const pre = state.lastPrompt;
      const share = state.cachedShare ?? 0;
      const estimate: TokenCounts | undefined =
        pre === undefined
          ? undefined
          : {
              input: Math.round(compressionCalls * pre * (1 - share)),
              output: compressionCalls * Math.ceil(summaryChars / 4),
              cacheWrite5m: 0,
              cacheWrite1h: 0,
              cacheRead: Math.round(compressionCalls * pre * share),
            };
      const event: CompactionEvent = {
        ...base,
        uid: `gemini:${sessionId}:compress:${m.id}`,
        kind: 'compaction',
        trigger: 'auto',
        preTokens: pre,
        summaryChars,
        extraTokens: estimate,
        estimated: true,
        model: state.model,
      };
      return [event];
    }
    if (listed) return [];
    if (toolResult || text.length === 0 || ctx.parentSessionId) return [{ ...base, kind: 'activity' }];
    return [{ ...base, uid: `gemini:${sessionId}:${m.id}`, kind: 'prompt', text: ctx.keepPromptText ? promptLabel(text) : '' }];
  }
  return listed ? [] : [{ ...base, kind: 'activity' }];
}

function listEvents(items: readonly unknown[], uidBase: string, state: GeminiFileState, ctx: GeminiParseContext): { events: MeterEvent[]; bad: number } {
  const events: MeterEvent[] = [];
  let bad = 0;
  items.forEach((item, i) => {
    const m = messageSchema.safeParse(item);
    if (!m.success) {
      bad++;
      return;
    }
    for (const e of messageEvents(m.data, `${uidBase}:${i}`, true, state, ctx)) events.push(e);
  });
  return { events, bad };
}

/** One line of a `.jsonl` chat. */
export function parseGeminiLine(raw: Record<string, unknown>, state: GeminiFileState, ctx: GeminiParseContext): RecordOutcome {
  const lineNo = state.line++;
  const uid = `gemini:${ctx.fileKey}:l${lineNo}`;
  if ('$set' in raw) {
    const p = setSchema.safeParse(raw);
    if (!p.success) return rejected(`$set: ${p.error.issues[0]?.message ?? 'invalid'}`);
    const set = p.data.$set;
    if (set.sessionId) state.sessionId = set.sessionId;
    const ts = set.lastUpdated ? Date.parse(set.lastUpdated) : NaN;
    if (Number.isFinite(ts)) state.maxTs = Math.max(state.maxTs, ts);
    if (!set.messages) return ok([]);
    const { events, bad } = listEvents(set.messages, uid, state, ctx);
    return bad > 0 && events.length === 0 ? rejected(`$set.messages: ${bad} invalid message(s)`) : ok(events);
  }
  if ('$rewindTo' in raw) return ok([]);
  if ('id' in raw) {
    const m = messageSchema.safeParse(raw);
    if (!m.success) return rejected(`message: ${m.error.issues[0]?.message ?? 'invalid'}`);
    return ok(messageEvents(m.data, uid, false, state, ctx));
  }
  const h = headerSchema.safeParse(raw);
  if (!h.success) return rejected('unknown record');
  state.sessionId = h.data.sessionId;
  const ts = h.data.startTime ? Date.parse(h.data.startTime) : NaN;
  if (!Number.isFinite(ts)) return ok([]);
  state.maxTs = Math.max(state.maxTs, ts);
  return ok([{ agent: 'gemini', kind: 'activity', fileId: ctx.fileId, sessionId: ctx.parentSessionId ?? h.data.sessionId, timestamp: ts, project: ctx.project, uid }]);
}

/** The older one-document session file, read whole each time it changes. */
export function parseGeminiDocument(raw: unknown, state: GeminiFileState, ctx: GeminiParseContext): RecordOutcome {
  const p = documentSchema.safeParse(raw);
  if (!p.success) return rejected(`session document: ${p.error.issues[0]?.message ?? 'invalid'}`);
  const fresh: GeminiFileState = { ...initialGeminiFileState(), sessionId: p.data.sessionId };
  const events: MeterEvent[] = [];
  p.data.messages.forEach((item) => {
    const m = messageSchema.safeParse(item);
    if (!m.success) return;
    // Message ids are the line identity in a document that is rewritten whole.
    for (const e of messageEvents(m.data, `gemini:${p.data.sessionId}:${m.data.id}:doc`, false, fresh, ctx)) events.push(e);
  });
  Object.assign(state, fresh);
  return ok(events);
}

export interface TelemetryContext {
  fileId: number;
}

/** One log record of the local telemetry file (see the header). */
export function parseGeminiTelemetry(text: string, state: GeminiFileState, ctx: TelemetryContext): RecordOutcome {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { status: 'malformed', events: [], reason: 'telemetry record is not JSON' };
  }
  const p = telemetryRecordSchema.safeParse(raw);
  if (!p.success) return { status: 'skipped', events: [] };
  const a = p.data.attributes;
  const ts = Date.parse(a['event.timestamp']);
  if (!Number.isFinite(ts)) return rejected('telemetry: bad timestamp');
  const sessionId = a['session.id'];
  const uid = `gemini:${sessionId}:telemetry:${a['event.name']}:${a['event.timestamp']}:${a.prompt_id ?? ''}`;
  const base = { agent: 'gemini' as const, fileId: ctx.fileId, sessionId, timestamp: ts, uid };
  if (a['event.name'] === 'gemini_cli.api_response') {
    if (!a.role || a.role === 'main') return { status: 'skipped', events: [] };
    const input = a.input_token_count ?? 0;
    const tokens = geminiTokens({ input, output: a.output_token_count ?? 0, cached: a.cached_content_token_count, thoughts: a.thoughts_token_count, tool: a.tool_token_count });
    if (a.role === 'utility_compressor') {
      const pending = (state.pending ??= {});
      const acc = (pending[sessionId] ??= { tokens: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } });
      acc.tokens.input += tokens.input;
      acc.tokens.output += tokens.output;
      acc.tokens.cacheRead += tokens.cacheRead;
      acc.model = a.model ?? acc.model;
      return ok([{ ...base, kind: 'activity' }]);
    }
    return ok([{ ...base, kind: 'usage', model: a.model ?? 'unknown', dedupeKey: uid, tokens, sidechain: true, provider: 'google' }]);
  }
  if (a['event.name'] === 'gemini_cli.chat_compression') {
    const calls = state.pending?.[sessionId];
    if (state.pending) delete state.pending[sessionId];
    const pre = a.tokens_before ?? undefined;
    const post = a.tokens_after ?? undefined;
    const event: CompactionEvent = {
      ...base,
      kind: 'compaction',
      trigger: 'auto',
      preTokens: pre,
      postTokens: post,
      droppedTokens: pre !== undefined && post !== undefined ? Math.max(0, pre - post) : undefined,
      extraTokens: calls?.tokens,
      model: calls?.model,
    };
    return ok([event]);
  }
  return { status: 'skipped', events: [] };
}
