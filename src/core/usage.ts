/**
 * The normalised vocabulary every source speaks and the meter folds.
 * Pure data: no I/O, no 'vscode', no timers.
 */

export const agentIds = ['claude-code', 'codex', 'gemini', 'opencode', 'cline', 'roo'] as const;
export type AgentId = (typeof agentIds)[number];

export const agentLabels = {
  'claude-code': 'Claude Code',
  codex: 'Codex CLI',
  gemini: 'Gemini CLI',
  opencode: 'OpenCode',
  cline: 'Cline',
  roo: 'Roo Code',
} as const satisfies Record<AgentId, string>;

/** Billable token buckets, disjoint: `input` is uncached input only. */
export interface TokenCounts {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export const tokenKinds = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const satisfies readonly (keyof TokenCounts)[];

export function zeroTokens(): TokenCounts {
  return { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
}

export function addTokens(into: TokenCounts, add: TokenCounts, sign = 1): void {
  into.input += sign * add.input;
  into.output += sign * add.output;
  into.cacheWrite5m += sign * add.cacheWrite5m;
  into.cacheWrite1h += sign * add.cacheWrite1h;
  into.cacheRead += sign * add.cacheRead;
}

export function totalTokens(t: TokenCounts): number {
  return t.input + t.output + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead;
}

/** Prompt size of one request: everything the model read. */
export function promptTokens(t: TokenCounts): number {
  return t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead;
}

/** Fields every event carries. `fileId` lets the meter drop what a file contributed when it is rewritten. */
interface EventBase {
  agent: AgentId;
  /** The session the event belongs to (for usage: the session that really made the call). */
  sessionId: string;
  /** Epoch milliseconds. */
  timestamp: number;
  fileId: number;
  /** Absolute project folder (cwd of the agent), when known. */
  project?: string;
  gitBranch?: string;
  /** Identity of the source line (Claude Code `uuid`); a line seen twice (fork copy, re-read) counts once. */
  uid?: string;
}

/** One billed model response. */
export interface UsageEvent extends EventBase {
  kind: 'usage';
  model: string;
  /** Unique per response across all files (message id); forks and continues copy it. */
  dedupeKey: string;
  tokens: TokenCounts;
  /** Work done by a subagent / sidechain; it still belongs to the parent session. */
  sidechain: boolean;
  /** The session whose file holds this line, when it differs from `sessionId` (a fork's copy). */
  copiedInto?: string;
  /** Provider to price with (`anthropic`, `openai`, `google`); unset lets the price table guess. */
  provider?: string;
  /**
   * The agent rewrites this response in place (Gemini message ids, Cline rows): a later event with
   * the same key replaces the tokens instead of being dropped as a duplicate.
   */
  upsert?: boolean;
  /** Cost the agent itself recorded for this response (Cline, Roo, OpenCode), kept as a second opinion. */
  agentCostUSD?: number;
}

/** A user prompt (or slash command): it starts a turn. */
export interface PromptEvent extends EventBase {
  kind: 'prompt';
  /** First line of the prompt, truncated; may be empty when prompt text is not kept. */
  text: string;
  command?: string;
}

/** Anything the agent did that shows it was working (tool results, system lines, subagent lines). */
export interface ActivityEvent extends EventBase {
  kind: 'activity';
  /** This line is the summary a compaction left behind; its length in characters. */
  compactSummaryChars?: number;
}

/** A context compaction boundary (Claude Code `compact_boundary`, Codex `compacted`, …). */
export interface CompactionEvent extends EventBase {
  kind: 'compaction';
  trigger: 'manual' | 'auto' | 'unknown';
  preTokens?: number;
  postTokens?: number;
  durationMs?: number;
  droppedTokens?: number;
  /** Length in characters of the summary that replaced the context, when seen. */
  summaryChars?: number;
  /** The usage event (dedupe key) that WAS the summarisation call, already counted as usage (Codex, OpenCode). */
  callDedupeKey?: string;
  /** Tokens of a summarisation call that appears in no usage event (counted as auxiliary usage, priced). */
  extraTokens?: TokenCounts;
  /** Cost of a summarisation call that appears in no usage event and has no token split (Roo `contextCondense.cost`). */
  extraCostUSD?: number;
  /** The call's figures are estimates (no record of the call itself). */
  estimated?: boolean;
  model?: string;
}

/** Per-model totals the client itself keeps (Claude Code `cost-state`): cumulative, last wins. */
export interface ModelCostState {
  tokens: TokenCounts;
  costUSD: number;
}

export interface CostStateEvent extends EventBase {
  kind: 'cost-state';
  totalCostUSD: number;
  models: Record<string, ModelCostState>;
  /** Order of this record within its file, to locate it between others that have no timestamp. */
  seq: number;
}

/**
 * Session boundaries: `clear` = this session began with `/clear`; `end-clear` = the user ran
 * `/clear` here and the conversation went on in a new session; `resume` / `fork` = the client
 * resumed this session, or started it as a fork; `compact-start` / `compact-end` = the client's
 * PreCompact / PostCompact hooks (exact compaction timing).
 */
export interface SessionMarkEvent extends EventBase {
  kind: 'session-mark';
  mark: 'clear' | 'end-clear' | 'resume' | 'fork' | 'compact-start' | 'compact-end';
  /** `hook`: the client said so itself (Connect); otherwise read from the transcript. */
  via?: 'hook';
  /** For a `clear` reported by hooks: the session the user cleared (its SessionEnd `reason: clear`). */
  previousSessionId?: string;
  trigger?: 'manual' | 'auto' | 'unknown';
}

/**
 * A model call no transcript holds, reported by the client's own telemetry (Claude Code OpenTelemetry
 * `api_request` with `query_source: compact`): exact tokens, counted as auxiliary usage.
 */
export interface AuxCallEvent extends EventBase {
  kind: 'aux-call';
  model: string;
  tokens: TokenCounts;
  /** The client's own cost of the call (a second opinion; it is priced like any other call). */
  clientCostUSD?: number;
  requestId: string;
  querySource: string;
  durationMs?: number;
}

/** One usage window of a subscription plan, as the client reports it. */
export interface RateWindow {
  usedPercent: number;
  /** Epoch ms. */
  resetsAt?: number;
}

/** What the client reported to its status line (Claude Code `statusLine` stdin), at one time. */
export interface ClientStatusEvent extends EventBase {
  kind: 'client-status';
  rateLimits?: { fiveHour?: RateWindow; sevenDay?: RateWindow };
  promptCache?: PromptCacheFigures;
  /** The client's session total (resets after /clear). */
  costUSD?: number;
}

/** The client's prompt-cache bookkeeping for a session (cumulative; last report wins). */
export interface PromptCacheFigures {
  requests: number;
  misses: number;
  hitRatio?: number;
  missRecacheTokens: number;
  expectedRebuilds?: number;
  cacheWriteTokens?: number;
  ttl?: string;
}

export type MeterEvent = UsageEvent | PromptEvent | ActivityEvent | CompactionEvent | CostStateEvent | SessionMarkEvent | AuxCallEvent | ClientStatusEvent;

/** Where a figure comes from, shown next to it everywhere. */
export const provenances = ['measured', 'computed', 'client-reported', 'estimated', 'assumed'] as const;
export type Provenance = (typeof provenances)[number];
