/**
 * One Claude Code transcript line → normalised meter events (../shared/formats/claude-code.md).
 *
 * - assistant: one line per content block, the full usage repeated → one usage event keyed by
 *   `message.id`; the meter counts each key once. Attributed to `requestSessionId ?? sessionId`
 *   (a fork's copies name the session that made the call). `<synthetic>` lines are not usage.
 * - user: a prompt (string or text blocks, not meta, not the compaction summary, not a sidechain)
 *   starts a turn; tool results and the rest are agent activity.
 * - system `compact_boundary`: a compaction; other system lines are activity.
 * - cost-state: the client's cumulative per-model totals, located at the latest time seen before it.
 * Everything else is skipped; a line that is not JSON, or fails its schema, is counted.
 */
import { createProjector, keyTree, type Projector } from '../../wasm/project';
import { decodeLine } from '../tail';
import type { CompactionEvent, CostStateEvent, MeterEvent, TokenCounts } from '../../core/usage';
import type { ClaudeUsage, UserRecord } from './schema';
import { checkAssistant, checkCostState, checkQueueOperation, checkSystem, checkUser } from './schema-fast';

/** Per-file parser state; persisted with the file's cursor. */
export interface ClaudeFileState {
  /** Latest timestamp seen in the file (ms), to locate records that carry none. */
  maxTs: number;
  /** cost-state records seen so far in the file. */
  seq: number;
  /** Connect spool files: the last `SessionEnd reason:clear` not yet linked to its SessionStart. */
  clearEnd?: { sessionId: string; t: number; cwd?: string };
}

export function initialClaudeFileState(): ClaudeFileState {
  return { maxTs: -Infinity, seq: 0 };
}

export interface ClaudeParseContext {
  fileId: number;
  state: ClaudeFileState;
  /** Project folder guessed from the transcript's folder, when a line has no `cwd`. */
  projectHint?: string;
  /** Keep the first line of prompts (for reports); false under the privacy setting. */
  keepPromptText: boolean;
}

export type LineStatus = 'ok' | 'skipped' | 'malformed' | 'rejected';

export interface LineOutcome {
  status: LineStatus;
  events: MeterEvent[];
  reason?: string;
}

export function toTokenCounts(u: ClaudeUsage): TokenCounts {
  const oneHour = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const fiveMin = u.cache_creation?.ephemeral_5m_input_tokens ?? 0;
  const written = u.cache_creation_input_tokens ?? fiveMin + oneHour;
  const w1h = Math.min(oneHour, written);
  return {
    input: u.input_tokens,
    output: u.output_tokens,
    cacheWrite5m: written - w1h,
    cacheWrite1h: w1h,
    cacheRead: u.cache_read_input_tokens ?? 0,
  };
}

const maxPromptChars = 120;

function firstLine(text: string): string {
  const line = text.trimStart().split('\n', 1)[0] ?? '';
  return line.length > maxPromptChars ? `${line.slice(0, maxPromptChars - 1)}…` : line;
}

function promptOf(r: UserRecord): { text: string; command?: string } | 'activity' {
  if (r.isMeta || r.isCompactSummary || r.isSidechain) return 'activity';
  const content = r.message.content;
  let text: string;
  if (typeof content === 'string') text = content;
  else {
    if (content.some((b) => b.type === 'tool_result')) return 'activity';
    const texts = content.filter((b) => b.type === 'text' && typeof b.text === 'string').map((b) => b.text ?? '');
    if (texts.length === 0) return content.length > 0 ? { text: '' } : 'activity';
    text = texts.join('\n');
  }
  if (text.startsWith('<local-command-stdout>') || text.startsWith('<local-command-caveat>') || text.startsWith('Caveat: ')) return 'activity';
  const cmd = /^<command-name>([^<]{1,100})<\/command-name>/.exec(text.trimStart());
  if (cmd?.[1]) return { text: cmd[1], command: cmd[1] };
  return { text };
}

/** Digits of `s` at [from, from + n) as a number, or -1 if any is not a digit. */
function digitsAt(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * `Date.parse` of a transcript timestamp. The form every client writes (`2025-01-02T03:04:05.678Z`,
 * fields in range) is read directly — Date.parse costs ~0.5 µs and a cold scan reads tens of
 * thousands; anything else goes to Date.parse. Tested equal to Date.parse on every form and field.
 */
export function parseTs(iso: string): number {
  if (iso.length === 24 && iso.charCodeAt(4) === 45 && iso.charCodeAt(7) === 45 && iso.charCodeAt(10) === 84 && iso.charCodeAt(13) === 58 && iso.charCodeAt(16) === 58 && iso.charCodeAt(19) === 46 && iso.charCodeAt(23) === 90) {
    const year = digitsAt(iso, 0, 4);
    const month = digitsAt(iso, 5, 2);
    const day = digitsAt(iso, 8, 2);
    const hour = digitsAt(iso, 11, 2);
    const minute = digitsAt(iso, 14, 2);
    const second = digitsAt(iso, 17, 2);
    const ms = digitsAt(iso, 20, 3);
    if (year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && ms >= 0) return Date.UTC(year, month - 1, day, hour, minute, second, ms);
  }
  return Date.parse(iso);
}

/** The fields every event of a chain record carries (session, time, project, branch, line id). */
interface ChainFields {
  sessionId: string;
  cwd?: string;
  gitBranch?: string;
  uuid?: string;
}

function chainCommon(ctx: ClaudeParseContext, r: ChainFields, ts: number) {
  return { agent: 'claude-code' as const, fileId: ctx.fileId, sessionId: r.sessionId, timestamp: ts, project: r.cwd ?? ctx.projectHint, gitBranch: r.gitBranch, uid: r.uuid };
}

/** Agent activity at `ts`: most lines of a cold scan, so one literal, no spreads. */
function activity(ctx: ClaudeParseContext, r: ChainFields, ts: number): LineOutcome {
  return { status: 'ok', events: [{ agent: 'claude-code', fileId: ctx.fileId, sessionId: r.sessionId, timestamp: ts, project: r.cwd ?? ctx.projectHint, gitBranch: r.gitBranch, uid: r.uuid, kind: 'activity' }] };
}

/**
 * What of a chain record (assistant, user, system) and a cost-state the parser reads: the
 * projection finds these keys in the line's bytes without building the rest (src/wasm/project.ts).
 */
const chainPaths = {
  type: 'type',
  sessionId: 'sessionId',
  timestamp: 'timestamp',
  uuid: 'uuid',
  isSidechain: 'isSidechain',
  cwd: 'cwd',
  gitBranch: 'gitBranch',
  requestId: 'requestId',
  requestSessionId: 'requestSessionId',
  isMeta: 'isMeta',
  isCompactSummary: 'isCompactSummary',
  subtype: 'subtype',
  message: 'message',
  id: 'message.id',
  model: 'message.model',
  content: 'message.content',
  usage: 'message.usage',
  input: 'message.usage.input_tokens',
  output: 'message.usage.output_tokens',
  written: 'message.usage.cache_creation_input_tokens',
  read: 'message.usage.cache_read_input_tokens',
  cacheCreation: 'message.usage.cache_creation',
  written5m: 'message.usage.cache_creation.ephemeral_5m_input_tokens',
  written1h: 'message.usage.cache_creation.ephemeral_1h_input_tokens',
  compactMetadata: 'compactMetadata',
  trigger: 'compactMetadata.trigger',
  preTokens: 'compactMetadata.preTokens',
  postTokens: 'compactMetadata.postTokens',
  durationMs: 'compactMetadata.durationMs',
  cumulativeDroppedTokens: 'compactMetadata.cumulativeDroppedTokens',
  totalCostUSD: 'totalCostUSD',
  modelUsage: 'modelUsage',
} as const;

type ChainSlots = Record<keyof typeof chainPaths, number>;

/** The keys of a user message's content blocks the parser reads (see schema.ts: contentBlockSchema). */
const blockKeys = ['type', 'text'] as const;

/** The projector and the slot of each path, made at the first line (undefined: no WebAssembly; JSON.parse then). */
let projection: { p: Projector; s: ChainSlots } | null | undefined = null;

function chainProjection(): typeof projection {
  if (projection === null) {
    const p = createProjector(keyTree(Object.values(chainPaths)));
    const s = { ...chainPaths } as unknown as ChainSlots;
    if (p) for (const name of Object.keys(chainPaths) as (keyof typeof chainPaths)[]) s[name] = p.slot(chainPaths[name]);
    projection = p ? { p, s } : undefined;
  }
  return projection;
}

/**
 * The record of a chain line as the parser reads it, from the projection of its bytes: each key
 * the parser reads for its type has the value JSON.parse would give it (absent: undefined), and
 * nothing else is built. Undefined when the line is not a valid JSON object whose `type` is
 * assistant, user, system or cost-state: JSON.parse decides then.
 */
function projectChainRecord(buf: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  const pr = chainProjection();
  if (!pr || !pr.p.scan(buf, start, end)) return undefined;
  const { p, s } = pr;
  const type = p.get(s.type);
  // A cost-state's per-model totals (keys are model names) are decoded whole from their own bytes.
  if (type === 'cost-state') return { type, sessionId: p.get(s.sessionId), totalCostUSD: p.get(s.totalCostUSD), modelUsage: p.get(s.modelUsage) };
  if (type !== 'assistant' && type !== 'user' && type !== 'system') return undefined;
  const sessionId = p.get(s.sessionId);
  const timestamp = p.get(s.timestamp);
  const uuid = p.get(s.uuid);
  const isSidechain = p.get(s.isSidechain);
  const cwd = p.get(s.cwd);
  const gitBranch = p.get(s.gitBranch);
  // An object whose keys are registered is built here; any other value (absent, null, a string…) is what get() gives.
  if (type === 'assistant') {
    let message: unknown;
    if (p.isObject(s.message)) {
      let usage: unknown;
      if (p.isObject(s.usage)) {
        const cacheCreation = p.isObject(s.cacheCreation) ? { ephemeral_5m_input_tokens: p.get(s.written5m), ephemeral_1h_input_tokens: p.get(s.written1h) } : p.get(s.cacheCreation);
        usage = { input_tokens: p.get(s.input), output_tokens: p.get(s.output), cache_creation_input_tokens: p.get(s.written), cache_read_input_tokens: p.get(s.read), cache_creation: cacheCreation };
      } else usage = p.get(s.usage);
      message = { id: p.get(s.id), model: p.get(s.model), usage };
    } else message = p.get(s.message);
    return { type, sessionId, timestamp, uuid, isSidechain, cwd, gitBranch, requestId: p.get(s.requestId), requestSessionId: p.get(s.requestSessionId), message };
  }
  if (type === 'user') {
    // Of a content array's blocks the parser reads only `type` and `text`: a tool's output is not built.
    const message = p.isObject(s.message) ? { content: p.objectsOf(s.content, blockKeys) ?? p.get(s.content) } : p.get(s.message);
    return { type, sessionId, timestamp, uuid, isSidechain, cwd, gitBranch, isMeta: p.get(s.isMeta), isCompactSummary: p.get(s.isCompactSummary), message };
  }
  const compactMetadata = p.isObject(s.compactMetadata)
    ? { trigger: p.get(s.trigger), preTokens: p.get(s.preTokens), postTokens: p.get(s.postTokens), durationMs: p.get(s.durationMs), cumulativeDroppedTokens: p.get(s.cumulativeDroppedTokens) }
    : p.get(s.compactMetadata);
  return { type, sessionId, timestamp, uuid, isSidechain, cwd, gitBranch, subtype: p.get(s.subtype), compactMetadata };
}

/**
 * `parseClaudeLine` on a line's bytes: chain records and cost-states through the projection (no
 * JSON.parse of the whole line), everything else — and any line the projection declines —
 * through JSON.parse.
 * Same outcome as `parseClaudeLine(decoded line)`, tested line by line.
 */
export function parseClaudeBytes(buf: Buffer, start: number, end: number, ctx: ClaudeParseContext): LineOutcome {
  const raw = projectChainRecord(buf, start, end);
  if (raw) return parseClaudeRecord(raw, ctx);
  return parseClaudeLine(decodeLine(buf, start, end), ctx);
}

export function parseClaudeLine(line: string, ctx: ClaudeParseContext): LineOutcome {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { status: 'malformed', events: [], reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { status: 'malformed', events: [], reason: 'not an object' };
  return parseClaudeRecord(raw, ctx);
}

/**
 * A parsed line (a JSON object) → its outcome. Each type is read by a function of its own: V8
 * optimises them one by one, each soon after it gets hot, where one function holding all five
 * took the longest of any to optimise (the cold scan ran the slow code meanwhile).
 */
function parseClaudeRecord(raw: object, ctx: ClaudeParseContext): LineOutcome {
  switch ((raw as { type?: unknown }).type) {
    case 'assistant':
      return parseAssistant(raw as Record<string, unknown>, ctx);
    case 'user':
      return parseUser(raw as Record<string, unknown>, ctx);
    case 'system':
      return parseSystem(raw as Record<string, unknown>, ctx);
    case 'cost-state':
      return parseCostState(raw as Record<string, unknown>, ctx);
    case 'queue-operation':
      return parseQueueOperation(raw as Record<string, unknown>, ctx);
    default:
      return { status: 'skipped', events: [] };
  }
}

/** An assistant line: a usage event (activity for `<synthetic>`). */
function parseAssistant(raw: Record<string, unknown>, ctx: ClaudeParseContext): LineOutcome {
  const p = checkAssistant(raw);
  if (!p.ok) return { status: 'rejected', events: [], reason: `assistant: ${p.error}` };
  const r = p.value;
  const ts = parseTs(r.timestamp);
  if (!Number.isFinite(ts)) return { status: 'rejected', events: [], reason: 'bad timestamp' };
  if (ts > ctx.state.maxTs) ctx.state.maxTs = ts;
  if (r.message.model === '<synthetic>') return activity(ctx, r, ts);
  const owner = r.requestSessionId ?? r.sessionId;
  // One literal, no spreads: this runs for every response line of a cold scan.
  return {
    status: 'ok',
    events: [
      {
        agent: 'claude-code',
        fileId: ctx.fileId,
        timestamp: ts,
        project: r.cwd ?? ctx.projectHint,
        gitBranch: r.gitBranch,
        uid: r.uuid,
        kind: 'usage',
        sessionId: owner,
        model: r.message.model,
        dedupeKey: r.message.id,
        tokens: toTokenCounts(r.message.usage),
        sidechain: r.isSidechain ?? false,
        copiedInto: owner !== r.sessionId ? r.sessionId : undefined,
        provider: 'anthropic',
      },
    ],
  };
}

/** A user line: a prompt (and `/clear`), the compaction summary, or activity. */
function parseUser(raw: Record<string, unknown>, ctx: ClaudeParseContext): LineOutcome {
  const p = checkUser(raw);
  if (!p.ok) return { status: 'rejected', events: [], reason: `user: ${p.error}` };
  const r = p.value;
  const ts = parseTs(r.timestamp);
  if (!Number.isFinite(ts)) return { status: 'rejected', events: [], reason: 'bad timestamp' };
  if (ts > ctx.state.maxTs) ctx.state.maxTs = ts;
  if (r.isCompactSummary) {
    const c = r.message.content;
    const chars = typeof c === 'string' ? c.length : c.reduce((n, b) => n + (b.text?.length ?? 0), 0);
    return { status: 'ok', events: [{ ...chainCommon(ctx, r, ts), kind: 'activity', compactSummaryChars: chars }] };
  }
  const prompt = promptOf(r);
  if (prompt === 'activity') return activity(ctx, r, ts);
  const common = chainCommon(ctx, r, ts);
  const events: MeterEvent[] = [
    { ...common, kind: 'prompt', text: ctx.keepPromptText || prompt.command ? firstLine(prompt.text) : '', command: prompt.command },
  ];
  if (prompt.command === '/clear') events.push({ ...common, kind: 'session-mark', mark: 'clear', uid: `${r.uuid ?? ts}:clear` });
  return { status: 'ok', events };
}

/** A system line: a compaction (`compact_boundary`) or activity. */
function parseSystem(raw: Record<string, unknown>, ctx: ClaudeParseContext): LineOutcome {
  const p = checkSystem(raw);
  if (!p.ok) return { status: 'rejected', events: [], reason: `system: ${p.error}` };
  const r = p.value;
  const ts = parseTs(r.timestamp);
  if (!Number.isFinite(ts)) return { status: 'rejected', events: [], reason: 'bad timestamp' };
  if (ts > ctx.state.maxTs) ctx.state.maxTs = ts;
  if (r.subtype !== 'compact_boundary') return activity(ctx, r, ts);
  const m = r.compactMetadata ?? {};
  const trigger = m.trigger === 'manual' || m.trigger === 'auto' ? m.trigger : 'unknown';
  const event: CompactionEvent = {
    ...chainCommon(ctx, r, ts),
    kind: 'compaction',
    trigger,
    preTokens: m.preTokens,
    postTokens: m.postTokens,
    durationMs: m.durationMs,
    droppedTokens: m.preTokens !== undefined && m.postTokens !== undefined ? Math.max(0, m.preTokens - m.postTokens) : undefined,
  };
  return { status: 'ok', events: [event] };
}

/** A cost-state: the client's per-model totals, at the latest time seen before it. */
function parseCostState(raw: Record<string, unknown>, ctx: ClaudeParseContext): LineOutcome {
  const base = { agent: 'claude-code' as const, fileId: ctx.fileId };
  const p = checkCostState(raw);
  if (!p.ok) return { status: 'rejected', events: [], reason: `cost-state: ${p.error}` };
  const r = p.value;
  const seq = ctx.state.seq++;
  if (!Number.isFinite(ctx.state.maxTs)) return { status: 'skipped', events: [], reason: 'cost-state before any timestamp' };
  const models: CostStateEvent['models'] = {};
  for (const [model, m] of Object.entries(r.modelUsage)) {
    const oneHour = m.cacheCreationEphemeral1hInputTokens ?? 0;
    const written = m.cacheCreationInputTokens ?? (m.cacheCreationEphemeral5mInputTokens ?? 0) + oneHour;
    models[model] = {
      costUSD: m.costUSD,
      tokens: {
        input: m.inputTokens,
        output: m.outputTokens,
        cacheWrite5m: written - Math.min(oneHour, written),
        cacheWrite1h: Math.min(oneHour, written),
        cacheRead: m.cacheReadInputTokens ?? 0,
      },
    };
  }
  const event: CostStateEvent = {
    ...base,
    kind: 'cost-state',
    sessionId: r.sessionId,
    timestamp: ctx.state.maxTs,
    totalCostUSD: r.totalCostUSD,
    models,
    seq,
  };
  return { status: 'ok', events: [event] };
}

/** A queue-operation: the old session's trace of `/clear` (the conversation continues in a new session). */
function parseQueueOperation(raw: Record<string, unknown>, ctx: ClaudeParseContext): LineOutcome {
  const base = { agent: 'claude-code' as const, fileId: ctx.fileId };
  const p = checkQueueOperation(raw);
  if (!p.ok) return { status: 'rejected', events: [], reason: `queue-operation: ${p.error}` };
  const r = p.value;
  if (r.operation !== 'enqueue' || typeof r.content !== 'string' || !/^\/clear\b/.test(r.content.trim())) return { status: 'skipped', events: [] };
  const ts = parseTs(r.timestamp);
  if (!Number.isFinite(ts)) return { status: 'rejected', events: [], reason: 'bad timestamp' };
  return { status: 'ok', events: [{ ...base, kind: 'session-mark', mark: 'end-clear', sessionId: r.sessionId, timestamp: ts, uid: `${r.sessionId}:clear:${ts}` }] };
}
