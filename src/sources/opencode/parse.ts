/**
 * OpenCode rows → normalised meter events (../shared/formats/other-agents.md §5).
 *
 * - One assistant `message` per model step, its `tokens` and `cost` rewritten in place while the
 *   step streams: usage is an upsert keyed by message id (the `step-finish` parts repeat the same
 *   figures and are not read). `input` is uncached input; output to bill = `output + reasoning`.
 * - `cost` is OpenCode's own price (from its model list or the user's config): kept as a second
 *   opinion, and as the price of a model our table lacks. A stored 0 for real tokens is not a
 *   price: such a request is priced from the table, or unpriced.
 * - A sub-agent session (`parent_id`) belongs to its root session, as sidechain work.
 * - A user message with a user-written text part starts a turn; a `compaction` part marks the
 *   compaction whose summary is the assistant message with `summary: true` (counted as usage: it
 *   is the dead weight).
 */
import type { CompactionEvent, MeterEvent, TokenCounts } from '../../core/usage';
import { ok, promptLabel, rejected, type RecordOutcome } from '../outcome';
import { messageDataSchema, partDataSchema, type OpenCodeTokens } from './schema';

export interface OpenCodeSessionInfo {
  /** Root session (itself unless a sub-agent's). */
  root: string;
  directory?: string;
}

export interface OpenCodeParseContext {
  fileId: number;
  keepPromptText: boolean;
  sessions: Record<string, OpenCodeSessionInfo>;
  /** Text and compaction parts of the user messages being parsed, by message id. */
  parts: Map<string, { texts: string[]; compaction?: { auto: boolean } }>;
}

const knownProviders = new Set(['openai', 'anthropic', 'google']);

export function openCodeTokens(t: OpenCodeTokens): TokenCounts {
  return {
    input: t.input,
    output: t.output + (t.reasoning ?? 0),
    cacheWrite5m: t.cache?.write ?? 0,
    cacheWrite1h: 0,
    cacheRead: t.cache?.read ?? 0,
  };
}

/** Collect the parts of user messages that matter: user-written text, and compaction markers. */
export function addPart(parts: OpenCodeParseContext['parts'], messageId: string, raw: string): boolean {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return false;
  }
  const p = partDataSchema.safeParse(data);
  if (!p.success) return false;
  let entry = parts.get(messageId);
  if (!entry) parts.set(messageId, (entry = { texts: [] }));
  if (p.data.type === 'text' && !p.data.synthetic && p.data.text) entry.texts.push(p.data.text);
  if (p.data.type === 'compaction') entry.compaction = { auto: p.data.auto === true };
  return true;
}

export interface MessageRow {
  id: string;
  session_id: string;
  time_created: number;
  data: string;
}

export function parseOpenCodeMessage(row: MessageRow, ctx: OpenCodeParseContext): RecordOutcome {
  let raw: unknown;
  try {
    raw = JSON.parse(row.data);
  } catch {
    return { status: 'malformed', events: [], reason: `message ${row.id}: data is not JSON` };
  }
  const p = messageDataSchema.safeParse(raw);
  if (!p.success) return rejected(`message ${row.id}: ${p.error.issues[0]?.message ?? 'invalid'}`);
  const m = p.data;
  const info = ctx.sessions[row.session_id];
  const sessionId = info?.root ?? row.session_id;
  const sidechain = sessionId !== row.session_id;
  const ts = m.time?.created ?? row.time_created;
  const base = { agent: 'opencode' as const, fileId: ctx.fileId, sessionId, timestamp: ts, project: info?.directory ?? m.path?.cwd ?? undefined, uid: `opencode:${row.id}` };
  const events: MeterEvent[] = [];
  if (m.role === 'assistant') {
    const tokens = m.tokens ? openCodeTokens(m.tokens) : undefined;
    const total = tokens ? tokens.input + tokens.output + tokens.cacheRead + tokens.cacheWrite5m : 0;
    if (tokens && total > 0) {
      const provider = m.providerID && knownProviders.has(m.providerID) ? m.providerID : undefined;
      events.push({
        ...base,
        kind: 'usage',
        model: m.modelID ?? 'unknown',
        dedupeKey: `opencode:${row.id}`,
        tokens,
        sidechain,
        provider,
        upsert: true,
        agentCostUSD: m.cost !== undefined && m.cost !== null && m.cost > 0 ? m.cost : undefined,
      });
      if (m.summary === true) {
        const compaction: CompactionEvent = {
          ...base,
          uid: `opencode:${row.id}:compaction`,
          kind: 'compaction',
          trigger: m.parentID ? (ctx.parts.get(m.parentID)?.compaction?.auto === false ? 'manual' : 'auto') : 'unknown',
          // The summariser read the whole conversation.
          preTokens: tokens.input + tokens.cacheRead + tokens.cacheWrite5m,
          callDedupeKey: `opencode:${row.id}`,
          model: m.modelID ?? undefined,
        };
        events.push(compaction);
      }
    }
    if (m.time?.completed) events.push({ ...base, uid: `opencode:${row.id}:done`, timestamp: m.time.completed, kind: 'activity', sessionId });
    return ok(events);
  }
  if (m.role === 'user') {
    const parts = ctx.parts.get(row.id);
    if (parts && parts.texts.length > 0 && !sidechain) {
      return ok([{ ...base, kind: 'prompt', text: ctx.keepPromptText ? promptLabel(parts.texts.join('\n')) : '' }]);
    }
    return ok([{ ...base, kind: 'activity' }]);
  }
  return ok([{ ...base, kind: 'activity' }]);
}
