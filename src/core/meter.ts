/**
 * The meter: folds normalised events into sessions, and prices every request once.
 *
 * Rules that make the numbers trustworthy (each has a test):
 * - A response is counted once, globally, by its dedupe key (forks and continues copy history).
 *   When the same response shows up under two sessions, the earliest line wins (1.0.x forks
 *   rewrite copied lines to the fork time; 2.x copies carry `requestSessionId` and keep their time).
 * - A line (uid) is folded once: re-reading a file, or a fork's copy of history, adds nothing.
 * - Usage once observed is not forgotten when its file is deleted or rewritten: the spend was real.
 * - An unknown model is unpriced, never $0: its tokens are counted and every total is flagged as a
 *   lower bound, unless the client itself recorded a cost for it (labelled client-reported).
 */
import { HashMap53, HashSet53, hash53 } from './hash';
import type { PriceBook, PriceResult } from './pricing';
import {
  addTokens,
  zeroTokens,
  type AgentId,
  type AuxCallEvent,
  type ClientStatusEvent,
  type CompactionEvent,
  type CostStateEvent,
  type MeterEvent,
  type PromptEvent,
  type TokenCounts,
  type UsageEvent,
} from './usage';

export interface RequestRecord {
  key: number;
  session: SessionState;
  ts: number;
  model: string;
  provider?: string;
  tokens: TokenCounts;
  sidechain: boolean;
  price: PriceResult | null;
  /** The agent's own cost for this response (OpenCode, Cline, Roo), used where the table has no price. */
  agentCostUSD?: number;
}

/** Timeline entry kinds. */
const kindPrompt = 0;
const kindAgent = 1;

export interface PromptRecord {
  ts: number;
  text: string;
  command?: string;
  gitBranch?: string;
}

/** A call only the client's telemetry reports (the compaction's summarisation call). */
export type AuxCall = Pick<AuxCallEvent, 'model' | 'tokens' | 'clientCostUSD' | 'requestId' | 'querySource' | 'durationMs'> & { ts: number };

/**
 * What the client itself reported through Connect (hooks, status line, telemetry). Absent for a
 * session nothing was reported for; every field is a fact the transcripts lack or only approximate.
 */
export interface ConnectFacts {
  /** The session this one continued after `/clear` (SessionEnd `clear` → SessionStart `clear`). */
  clearedFrom?: string;
  resumes: number[];
  forkedAt?: number;
  /** PreCompact → PostCompact (end unset until PostCompact arrives, or on clients without it). */
  compactWindows: { start: number; end?: number; trigger: string }[];
  auxCalls: AuxCall[];
  /** The latest status line report. */
  status?: { ts: number; rateLimits?: ClientStatusEvent['rateLimits']; promptCache?: ClientStatusEvent['promptCache']; costUSD?: number };
}

export function emptyConnectFacts(): ConnectFacts {
  return { resumes: [], compactWindows: [], auxCalls: [] };
}

export interface PositionedCostState {
  /** Timestamp of the last timestamped line before the record in its file. */
  ts: number;
  seq: number;
  fileId: number;
  totalCostUSD: number;
  models: CostStateEvent['models'];
}

/** An array kept in order lazily: appends are O(1); the first read after an out-of-order append sorts. */
class LazySorted<T> {
  private readonly items: T[] = [];
  private dirty = false;

  constructor(private readonly key: (t: T) => number) {}

  push(t: T): void {
    const last = this.items[this.items.length - 1];
    if (last !== undefined && this.key(last) > this.key(t)) this.dirty = true;
    this.items.push(t);
  }

  remove(t: T): void {
    const i = this.items.indexOf(t);
    if (i >= 0) this.items.splice(i, 1);
  }

  get length(): number {
    return this.items.length;
  }

  sorted(): T[] {
    if (this.dirty) {
      this.items.sort((a, b) => this.key(a) - this.key(b));
      this.dirty = false;
    }
    return this.items;
  }
}

export class SessionState {
  readonly key: string;
  project?: string;
  gitBranch?: string;
  private readonly requestList = new LazySorted<RequestRecord>((r) => r.ts);
  private readonly promptList = new LazySorted<PromptRecord>((p) => p.ts);
  private readonly compactionList = new LazySorted<CompactionEvent>((c) => c.timestamp);
  /** Everything that happened, encoded `ts * 2 + kind` (prompt or agent work) so one numeric sort orders it. */
  private readonly timelineList = new LazySorted<number>((v) => v);
  readonly costStates = new Map<string, PositionedCostState>();
  /** Responses of other sessions that a fork copied into this one's file (the client's cost-state includes them). */
  readonly copied = new Map<number, { ts: number; model: string; tokens: TokenCounts }>();
  private first = NaN;
  private last = NaN;
  startedWithClear = false;
  /** When the user ran `/clear` in this session (the conversation went on in a new one). */
  clearedAt?: number;
  /** What the client reported through Connect (hooks, status line, telemetry). */
  connect?: ConnectFacts;
  version = 0;

  constructor(
    readonly agent: AgentId,
    readonly id: string,
  ) {
    this.key = sessionKey(agent, id);
  }

  get firstTs(): number {
    return this.first;
  }

  get lastTs(): number {
    return this.last;
  }

  /** Requests in time order. */
  get requests(): readonly RequestRecord[] {
    return this.requestList.sorted();
  }

  get requestCount(): number {
    return this.requestList.length;
  }

  get prompts(): readonly PromptRecord[] {
    return this.promptList.sorted();
  }

  get compactions(): readonly CompactionEvent[] {
    return this.compactionList.sorted();
  }

  /** The encoded, sorted timeline (see `timelineList`). */
  timeline(): readonly number[] {
    return this.timelineList.sorted();
  }

  get timelineLength(): number {
    return this.timelineList.length;
  }

  addTime(ts: number, kind: number): void {
    this.timelineList.push(ts * 2 + kind);
    if (!(ts >= this.first)) this.first = ts;
    if (!(ts <= this.last)) this.last = ts;
  }

  addRequest(r: RequestRecord): void {
    this.requestList.push(r);
  }

  removeRequest(r: RequestRecord): void {
    this.requestList.remove(r);
  }

  addPrompt(p: PromptRecord): void {
    this.promptList.push(p);
  }

  addCompaction(c: CompactionEvent): void {
    this.compactionList.push(c);
  }

  /** The summary line follows its boundary (within a minute): record its length on it. */
  attachCompactSummary(ts: number, chars: number): void {
    const list = this.compactionList.sorted();
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i];
      if (!c) continue;
      if (c.timestamp <= ts + 1000 && ts - c.timestamp < 60_000) {
        if (c.summaryChars === undefined) c.summaryChars = chars;
        return;
      }
    }
  }

  /** Cost-states in the order the client wrote them. */
  orderedCostStates(): PositionedCostState[] {
    return [...this.costStates.values()].sort((a, b) => a.ts - b.ts || a.fileId - b.fileId || a.seq - b.seq);
  }
}

export function sessionKey(agent: AgentId, id: string): string {
  return `${agent}:${id}`;
}

export interface MeterHealth {
  events: number;
  duplicateResponses: number;
  duplicateLines: number;
  rejectedEvents: number;
}

export class Meter {
  readonly sessions = new Map<string, SessionState>();
  private readonly responses = new HashMap53<RequestRecord>();
  private readonly lines = new HashSet53();
  private priceBook: PriceBook;
  /** Bumped on every change; views cache on it. */
  version = 0;
  readonly health: MeterHealth = { events: 0, duplicateResponses: 0, duplicateLines: 0, rejectedEvents: 0 };

  constructor(priceBook: PriceBook) {
    this.priceBook = priceBook;
  }

  get responseCount(): number {
    return this.responses.size;
  }

  /** Reprice everything (the user changed price overrides). */
  setPriceBook(priceBook: PriceBook): void {
    this.priceBook = priceBook;
    for (const r of this.responses.values()) r.price = priceBook.price(r.model, r.provider, r.tokens, r.ts);
    for (const s of this.sessions.values()) s.version++;
    this.version++;
  }

  getPriceBook(): PriceBook {
    return this.priceBook;
  }

  /** The session asked for last: a file's events nearly all belong to one. */
  private lastSession: SessionState | undefined;

  session(agent: AgentId, id: string): SessionState {
    const last = this.lastSession;
    if (last !== undefined && last.id === id && last.agent === agent) return last;
    const key = sessionKey(agent, id);
    let s = this.sessions.get(key);
    if (!s) {
      s = new SessionState(agent, id);
      this.sessions.set(key, s);
    }
    this.lastSession = s;
    return s;
  }

  /** Fold a batch; returns the sessions that changed. */
  ingest(events: readonly MeterEvent[]): Set<SessionState> {
    const changed = new Set<SessionState>();
    this.foldAll(events, changed);
    if (changed.size > 0) this.version++;
    return changed;
  }

  /**
   * The loop of `ingest`, in a function of its own: V8 compiles a long first batch's loop while it
   * runs (on-stack replacement) and kept reusing that code, which then gave up at the code after
   * the loop on every later batch (290 times in a cold scan of 1.1 GB). Here nothing follows it.
   */
  private foldAll(events: readonly MeterEvent[], changed: Set<SessionState>): void {
    for (const e of events) {
      this.health.events++;
      if (!Number.isFinite(e.timestamp)) {
        this.health.rejectedEvents++;
        continue;
      }
      const s = this.ingestOne(e);
      if (s) {
        s.version++;
        changed.add(s);
      }
    }
  }

  private seenLine(uid: string | undefined, agent: AgentId): boolean {
    if (uid === undefined) return false;
    // One probe: adding tells whether it was there.
    if (this.lines.add(hash53(uid, agent.length))) return false;
    this.health.duplicateLines++;
    return true;
  }

  private ingestOne(e: MeterEvent): SessionState | undefined {
    switch (e.kind) {
      case 'usage':
        return this.ingestUsage(e);
      case 'prompt': {
        if (this.seenLine(e.uid, e.agent)) return undefined;
        const s = this.touch(e);
        this.addPrompt(s, e);
        return s;
      }
      case 'activity': {
        if (this.seenLine(e.uid, e.agent)) return undefined;
        const s = this.touch(e);
        s.addTime(e.timestamp, kindAgent);
        if (e.compactSummaryChars !== undefined) s.attachCompactSummary(e.timestamp, e.compactSummaryChars);
        return s;
      }
      case 'compaction': {
        if (this.seenLine(e.uid, e.agent)) return undefined;
        const s = this.touch(e);
        s.addCompaction(e);
        s.addTime(e.timestamp, kindAgent);
        return s;
      }
      case 'cost-state': {
        const s = this.touch(e, false);
        s.costStates.set(`${e.fileId}:${e.seq}`, {
          ts: e.timestamp,
          seq: e.seq,
          fileId: e.fileId,
          totalCostUSD: e.totalCostUSD,
          models: e.models,
        });
        return s;
      }
      case 'session-mark': {
        if (this.seenLine(e.uid, e.agent)) return undefined;
        const s = this.touch(e, false);
        switch (e.mark) {
          case 'clear':
            s.startedWithClear = true;
            if (e.previousSessionId !== undefined && e.previousSessionId !== s.id) (s.connect ??= emptyConnectFacts()).clearedFrom = e.previousSessionId;
            break;
          case 'end-clear':
            s.clearedAt = Math.max(s.clearedAt ?? -Infinity, e.timestamp);
            break;
          case 'resume':
            (s.connect ??= emptyConnectFacts()).resumes.push(e.timestamp);
            break;
          case 'fork':
            (s.connect ??= emptyConnectFacts()).forkedAt = e.timestamp;
            break;
          case 'compact-start':
            (s.connect ??= emptyConnectFacts()).compactWindows.push({ start: e.timestamp, trigger: e.trigger ?? 'unknown' });
            break;
          case 'compact-end': {
            const open = [...(s.connect ??= emptyConnectFacts()).compactWindows].reverse().find((w) => w.end === undefined && w.start <= e.timestamp);
            if (open) open.end = e.timestamp;
            break;
          }
        }
        return s;
      }
      case 'aux-call': {
        if (this.seenLine(e.uid ?? `aux:${e.requestId}`, e.agent)) return undefined;
        const s = this.touch(e, false);
        (s.connect ??= emptyConnectFacts()).auxCalls.push({
          ts: e.timestamp,
          model: e.model,
          tokens: e.tokens,
          clientCostUSD: e.clientCostUSD,
          requestId: e.requestId,
          querySource: e.querySource,
          durationMs: e.durationMs,
        });
        return s;
      }
      case 'client-status': {
        const s = this.touch(e, false);
        const facts = (s.connect ??= emptyConnectFacts());
        if (facts.status && facts.status.ts > e.timestamp) return undefined;
        // A report without a part (before the first response, or no subscription login) keeps the last one.
        facts.status = { ts: e.timestamp, rateLimits: e.rateLimits ?? facts.status?.rateLimits, promptCache: e.promptCache ?? facts.status?.promptCache, costUSD: e.costUSD ?? facts.status?.costUSD };
        return s;
      }
    }
  }

  private touch(e: MeterEvent, withTime = true): SessionState {
    const s = this.session(e.agent, e.sessionId);
    if (e.project && !s.project) s.project = e.project;
    if (e.gitBranch && withTime) s.gitBranch = e.gitBranch;
    return s;
  }

  private addPrompt(s: SessionState, e: PromptEvent): void {
    s.addTime(e.timestamp, kindPrompt);
    s.addPrompt({ ts: e.timestamp, text: e.text, command: e.command, gitBranch: e.gitBranch });
  }

  private ingestUsage(e: UsageEvent): SessionState | undefined {
    const key = hash53(e.dedupeKey, 7);
    const existing = this.responses.get(key);
    let copiedTarget: SessionState | undefined;
    if (e.copiedInto !== undefined && e.copiedInto !== e.sessionId) {
      const target = this.session(e.agent, e.copiedInto);
      if (!target.copied.has(key)) {
        target.copied.set(key, { ts: e.timestamp, model: e.model, tokens: e.tokens });
        copiedTarget = target;
      }
    }
    if (existing && e.upsert) {
      // Rewritten in place by the agent: the latest version of the response wins.
      const s = existing.session;
      existing.tokens = e.tokens;
      existing.model = e.model;
      existing.agentCostUSD = e.agentCostUSD;
      existing.price = this.priceBook.price(e.model, e.provider, e.tokens, existing.ts);
      if (e.copiedInto === undefined && !this.seenLine(e.uid, e.agent)) s.addTime(e.timestamp, kindAgent);
      return s;
    }
    if (existing) {
      this.health.duplicateResponses++;
      // The same response under another session: the earliest occurrence made the call.
      if (existing.session.id !== e.sessionId && e.timestamp < existing.ts && e.copiedInto === undefined) {
        const from = existing.session;
        from.removeRequest(existing);
        from.version++;
        const to = this.touch(e);
        existing.session = to;
        existing.ts = e.timestamp;
        to.addRequest(existing);
        this.seenLine(e.uid, e.agent);
        to.addTime(e.timestamp, kindAgent);
        return to;
      }
      // Each content block of a response is its own line with its own time: that is activity.
      if (e.copiedInto === undefined && !this.seenLine(e.uid, e.agent)) {
        const s = this.touch(e);
        s.addTime(e.timestamp, kindAgent);
        return s;
      }
      return copiedTarget;
    }
    const s = this.touch(e);
    const record: RequestRecord = {
      key,
      session: s,
      ts: e.timestamp,
      model: e.model,
      provider: e.provider,
      tokens: e.tokens,
      sidechain: e.sidechain,
      price: this.priceBook.price(e.model, e.provider, e.tokens, e.timestamp),
      agentCostUSD: e.agentCostUSD,
    };
    this.responses.set(key, record);
    s.addRequest(record);
    if (e.copiedInto === undefined && !this.seenLine(e.uid, e.agent)) s.addTime(e.timestamp, kindAgent);
    if (copiedTarget) copiedTarget.version++;
    return s;
  }

  /** For the snapshot: hashes of every line folded. */
  lineKeys(): number[] {
    return this.lines.values();
  }

  /** For restoring a snapshot only. */
  restoreResponse(r: RequestRecord): void {
    this.responses.set(r.key, r);
  }

  /** For restoring a snapshot only. */
  restoreLines(keys: readonly number[]): void {
    for (const k of keys) this.lines.add(k);
  }

  /** Everything the meter knows that a persisted index must carry, as plain data. */
  allResponses(): readonly RequestRecord[] {
    return this.responses.values();
  }

  hasResponse(dedupeKey: string): boolean {
    return this.responses.has(hash53(dedupeKey, 7));
  }

  /** The key a response is stored under. */
  keyOf(dedupeKey: string): number {
    return hash53(dedupeKey, 7);
  }

  totalRequestTokens(): TokenCounts {
    const t = zeroTokens();
    for (const r of this.responses.values()) addTokens(t, r.tokens);
    return t;
  }
}

export { kindAgent, kindPrompt };
