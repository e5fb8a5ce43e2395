/**
 * Derived figures of one session: costed items (requests + auxiliary calls only the client's
 * cost-state shows), totals with provenance, and the three times.
 */
import { kindPrompt, type AuxCall, type RequestRecord, type SessionState } from './meter';
import type { PriceBook } from './pricing';
import { addTokens, tokenKinds, totalTokens, zeroTokens, type AgentId, type CompactionEvent, type TokenCounts } from './usage';

export type CostProvenance = 'computed' | 'client-reported' | 'estimated';

/** One priced thing that happened at one time: a request, or the auxiliary calls located there. */
export interface CostedItem {
  ts: number;
  model: string;
  tokens: TokenCounts;
  /** null = unpriced (no table price, no client-reported cost). */
  usd: number | null;
  provenance: CostProvenance;
  kind: 'request' | 'auxiliary';
  sidechain: boolean;
  priceSource?: 'table' | 'override' | 'client';
  /** For an auxiliary item that is a compaction's summarisation call: that compaction's time. */
  compactionAt?: number;
  /** The call came from the client's own telemetry (Connect), not from a cost-state difference. */
  via?: 'telemetry';
}

export interface TimeFigures {
  wallMs: number;
  activeMs: number;
  busyMs: number;
  idleMs: number;
}

export interface CostFigures {
  /** Full API-equivalent cost: computed + client-reported (+ auxiliary inside either). */
  api: number;
  computed: number;
  clientReported: number;
  /** Part of `api` resting on estimates: calls no record holds (a 1.0.x compaction's summary call, Gemini CLI compression without telemetry). */
  estimated: number;
  auxiliary: number;
  /** True when some tokens are unpriced: `api` is then a lower bound. */
  lowerBound: boolean;
}

export interface ModelLine {
  model: string;
  tokens: TokenCounts;
  auxiliaryTokens: TokenCounts;
  requests: number;
  usd: number | null;
  provenance: CostProvenance | 'unpriced';
  /** The provenance a rollup gives this model's priced items: 'mixed' when they differ (see aggregate.ts). */
  rollupProvenance: CostProvenance | 'unpriced' | 'mixed';
  priceSource?: 'table' | 'override' | 'client';
}

export interface SessionView {
  key: string;
  agent: AgentId;
  id: string;
  project?: string;
  gitBranch?: string;
  start: number;
  end: number;
  models: string[];
  tokens: TokenCounts;
  auxiliaryTokens: TokenCounts;
  requests: number;
  cost: CostFigures;
  time: TimeFigures;
  unpriced: { tokens: number; models: string[] };
  byModel: ModelLine[];
  /** In time order. */
  items: CostedItem[];
  prompts: number;
  compactions: CompactionEvent[];
  startedWithClear: boolean;
  /** The client's own session total (last cost-state), when it keeps one. */
  clientTotalUSD?: number;
}

/** Weights (relative to input) used only to share a client-reported total among its requests. */
function allocationWeight(t: TokenCounts): number {
  return t.input + 5 * t.output + 1.25 * t.cacheWrite5m + 2 * t.cacheWrite1h + 0.1 * t.cacheRead;
}

const zero: Readonly<TokenCounts> = Object.freeze(zeroTokens());

function subtractTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return { input: a.input - b.input, output: a.output - b.output, cacheWrite5m: a.cacheWrite5m - b.cacheWrite5m, cacheWrite1h: a.cacheWrite1h - b.cacheWrite1h, cacheRead: a.cacheRead - b.cacheRead };
}

function maxZero(t: TokenCounts): TokenCounts {
  return {
    input: Math.max(0, t.input),
    output: Math.max(0, t.output),
    cacheWrite5m: Math.max(0, t.cacheWrite5m),
    cacheWrite1h: Math.max(0, t.cacheWrite1h),
    cacheRead: Math.max(0, t.cacheRead),
  };
}

/**
 * Busy, active, wall and idle time over a sorted timeline, clipped to [from, to).
 * - wall: first to last event;
 * - active: sum of gaps between consecutive events, a gap longer than `idleMs` counting as idle;
 * - busy: from each prompt to the agent's last event before the next prompt (runtime pricing bills this).
 */
export function timeFigures(timeline: readonly number[], idleMs: number, from = -Infinity, to = Infinity): TimeFigures {
  let first = NaN;
  let last = NaN;
  let active = 0;
  let busy = 0;
  let prev = NaN;
  let turnStart = NaN;
  let lastAgent = NaN;
  // Indexed loops in the report's per-session code: it runs once per session (below the optimising
  // compiler's threshold), where each step of a for-of allocates an iterator result.
  for (let i = 0; i < timeline.length; i++) {
    const v = timeline[i] ?? 0;
    const kind = v % 2;
    const ts = (v - kind) / 2;
    if (ts < from || ts >= to) continue;
    if (Number.isNaN(first)) first = ts;
    last = ts;
    if (!Number.isNaN(prev)) {
      const gap = ts - prev;
      if (gap <= idleMs) active += gap;
    }
    prev = ts;
    if (kind === kindPrompt) {
      if (!Number.isNaN(turnStart) && lastAgent > turnStart) busy += lastAgent - turnStart;
      turnStart = ts;
      lastAgent = NaN;
    } else {
      if (Number.isNaN(turnStart)) turnStart = ts;
      lastAgent = ts;
    }
  }
  if (!Number.isNaN(turnStart) && lastAgent > turnStart) busy += lastAgent - turnStart;
  const wall = Number.isNaN(first) ? 0 : last - first;
  return { wallMs: wall, activeMs: active, busyMs: busy, idleMs: Math.max(0, wall - busy) };
}

/** Encode a timeline entry the way sessions store it. */
export function timelineEntry(ts: number, kind: number): number {
  return ts * 2 + kind;
}

interface Cached {
  version: number;
  priceBook: PriceBook;
  idleMs: number;
  view: SessionView;
}
const cache = new WeakMap<SessionState, Cached>();

export function viewSession(s: SessionState, priceBook: PriceBook, idleMs: number): SessionView {
  const hit = cache.get(s);
  if (hit && hit.version === s.version && hit.priceBook === priceBook && hit.idleMs === idleMs) return hit.view;
  const view = computeView(s, priceBook, idleMs);
  cache.set(s, { version: s.version, priceBook, idleMs, view });
  return view;
}

function computeView(s: SessionState, priceBook: PriceBook, idleMs: number): SessionView {
  const items: CostedItem[] = s.requests.map((r) =>
    // A model the table cannot price: the agent's own recorded cost, when it recorded one (a
    // stored 0 for real tokens is not a price: the request stays unpriced).
    !r.price && r.agentCostUSD !== undefined && r.agentCostUSD > 0
      ? { ts: r.ts, model: r.model, tokens: r.tokens, usd: r.agentCostUSD, provenance: 'client-reported', kind: 'request', sidechain: r.sidechain, priceSource: 'client' }
      : {
          ts: r.ts,
          model: r.model,
          tokens: r.tokens,
          usd: r.price ? r.price.usd : null,
          provenance: 'computed',
          kind: 'request',
          sidechain: r.sidechain,
          priceSource: r.price?.source,
        },
  );
  const provider = s.requests.find((r) => r.provider)?.provider;

  // Auxiliary calls (compaction summaries, …): the client's cumulative per-model totals minus what
  // the transcript holds up to each cost-state, located at that cost-state.
  const states = s.orderedCostStates();
  const prevGap = new Map<string, TokenCounts>();
  // Calls the client's telemetry reported (Connect): known exactly, so the cost-state difference
  // must not count them again.
  const auxCalls = s.connect?.auxCalls ?? [];
  // What the transcript holds, in time order (read only against cost-states): the requests alone
  // are in time order already.
  let present: readonly { ts: number; model: string; tokens: TokenCounts }[] = s.requests;
  if (states.length > 0 && (s.copied.size > 0 || auxCalls.length > 0)) {
    const all = s.requests.map((r) => ({ ts: r.ts, model: r.model, tokens: r.tokens }));
    for (const c of s.copied.values()) all.push(c);
    for (const a of auxCalls) all.push({ ts: a.ts, model: a.model, tokens: a.tokens });
    present = all.sort((a, b) => a.ts - b.ts);
  }
  // A telemetry `compact` call belongs to the compaction boundary written right after it.
  const callCompaction = new Map<AuxCall, number>();
  const covered = new Set<number>();
  for (const a of [...auxCalls].sort((x, y) => x.ts - y.ts)) {
    if (a.querySource !== 'compact') continue;
    const c = s.compactions.find((x) => x.timestamp >= a.ts - 5000 && x.timestamp - a.ts <= 10 * 60_000 && !covered.has(x.timestamp));
    if (!c) continue;
    covered.add(c.timestamp);
    callCompaction.set(a, c.timestamp);
  }
  const presentByModel = new Map<string, TokenCounts>();
  let pi = 0;
  const compactionList = s.compactions;
  let ci = 0;
  for (const cs of states) {
    // A compaction between the previous cost-state and this one: the gap here is its summary call.
    // (Cost-states and compactions are both in time order: one pass over the compactions.)
    let summarised: CompactionEvent | undefined;
    for (; ci < compactionList.length; ci++) {
      const c = compactionList[ci];
      if (!c || c.timestamp > cs.ts) break;
      if (c.callDedupeKey === undefined && !c.extraTokens && c.extraCostUSD === undefined && !covered.has(c.timestamp)) summarised = c;
    }
    while (pi < present.length && (present[pi]?.ts ?? 0) <= cs.ts) {
      const p = present[pi++];
      if (!p) break;
      let acc = presentByModel.get(p.model);
      if (!acc) presentByModel.set(p.model, (acc = zeroTokens()));
      addTokens(acc, p.tokens);
    }
    const models = cs.models;
    for (const model of Object.keys(models)) {
      const m = models[model];
      if (!m) continue;
      const have = presentByModel.get(model) ?? zero;
      // The client's total beyond what the transcript holds (≥ 0), and what of it is new since the
      // previous cost-state (≥ 0); the largest gap so far is kept per model.
      const clamped = maxZero(subtractTokens(m.tokens, have));
      let before = prevGap.get(model);
      if (!before) prevGap.set(model, (before = zeroTokens()));
      const incPos = maxZero(subtractTokens(clamped, before));
      before.input = Math.max(before.input, clamped.input);
      before.output = Math.max(before.output, clamped.output);
      before.cacheWrite5m = Math.max(before.cacheWrite5m, clamped.cacheWrite5m);
      before.cacheWrite1h = Math.max(before.cacheWrite1h, clamped.cacheWrite1h);
      before.cacheRead = Math.max(before.cacheRead, clamped.cacheRead);
      if (totalTokens(incPos) > 0) {
        const price = priceBook.price(model, provider, incPos, cs.ts);
        items.push({
          ts: cs.ts,
          model,
          tokens: incPos,
          usd: price ? price.usd : null,
          provenance: 'computed',
          kind: 'auxiliary',
          sidechain: false,
          priceSource: price?.source,
          compactionAt: summarised?.timestamp,
        });
      }
    }
  }
  for (const a of auxCalls) {
    const price = priceBook.price(a.model, provider, a.tokens, a.ts);
    const client = !price && a.clientCostUSD !== undefined;
    items.push({
      ts: a.ts,
      model: a.model,
      tokens: a.tokens,
      usd: price ? price.usd : client ? (a.clientCostUSD ?? null) : null,
      provenance: client ? 'client-reported' : 'computed',
      kind: 'auxiliary',
      sidechain: false,
      priceSource: price ? price.source : client ? 'client' : undefined,
      compactionAt: callCompaction.get(a),
      via: 'telemetry',
    });
  }
  // Compactions whose summarisation call no record shows: agents' own figures, or an estimate.
  const lastStateTs = states.length > 0 ? (states[states.length - 1]?.ts ?? -Infinity) : -Infinity;
  const requestsSorted = s.requests;
  for (const c of s.compactions) {
    // The agent's own cost of the call (Roo Code) wins over any token estimate it comes with.
    if (c.extraCostUSD !== undefined) {
      items.push({ ts: c.timestamp, model: c.model ?? 'unknown', tokens: c.extraTokens ?? zeroTokens(), usd: c.extraCostUSD, provenance: 'client-reported', kind: 'auxiliary', sidechain: false, priceSource: 'client', compactionAt: c.timestamp });
      continue;
    }
    if (c.extraTokens) {
      const model = c.model ?? requestsSorted[requestsSorted.length - 1]?.model ?? 'unknown';
      const price = priceBook.price(model, provider, c.extraTokens, c.timestamp);
      items.push({ ts: c.timestamp, model, tokens: c.extraTokens, usd: price ? price.usd : null, provenance: c.estimated ? 'estimated' : 'computed', kind: 'auxiliary', sidechain: false, priceSource: price?.source, compactionAt: c.timestamp });
      continue;
    }
    if (c.callDedupeKey !== undefined || covered.has(c.timestamp)) continue;
    // Other agents say themselves whether the compaction made a call (a sliding-window truncation
    // makes none); the estimate below is Claude Code's.
    if (c.agent !== 'claude-code') continue;
    // Claude Code: measured by a later cost-state (its gap is already an auxiliary item).
    if (c.timestamp <= lastStateTs) continue;
    if (c.preTokens === undefined) continue;
    // Estimate (1.0.x, or 2.x before its cost-state is written): the prompt is the context before
    // the compaction, split like the last request's prompt; the output is the summary (~4 chars/token).
    // The last request at or before it (from the end, without copying the list).
    let prev: RequestRecord | undefined;
    for (let i = requestsSorted.length - 1; i >= 0; i--) {
      const r = requestsSorted[i];
      if (r && r.ts <= c.timestamp) {
        prev = r;
        break;
      }
    }
    if (!prev) continue;
    const p = prev.tokens;
    const prompt = p.input + p.cacheWrite5m + p.cacheWrite1h + p.cacheRead;
    const share = (x: number): number => (prompt > 0 ? Math.round((c.preTokens ?? 0) * (x / prompt)) : 0);
    const tokens: TokenCounts = {
      input: share(p.input),
      cacheWrite5m: share(p.cacheWrite5m),
      cacheWrite1h: share(p.cacheWrite1h),
      cacheRead: 0,
      output: Math.ceil((c.summaryChars ?? 0) / 4),
    };
    tokens.cacheRead = Math.max(0, (c.preTokens ?? 0) - tokens.input - tokens.cacheWrite5m - tokens.cacheWrite1h);
    const price = priceBook.price(prev.model, prev.provider, tokens, c.timestamp);
    items.push({ ts: c.timestamp, model: prev.model, tokens, usd: price ? price.usd : null, provenance: 'estimated', kind: 'auxiliary', sidechain: false, priceSource: price?.source, compactionAt: c.timestamp });
  }
  // The requests alone are in time order already (and the sort is stable: skipping it changes nothing).
  if (items.length > s.requests.length) items.sort((a, b) => a.ts - b.ts);

  // Models the table cannot price: use the client's own per-model cost when it recorded one.
  const last = states[states.length - 1];
  if (last && items.some((it) => it.usd === null)) {
    for (const [model, m] of Object.entries(last.models)) {
      if (!(m.costUSD > 0)) continue;
      const mine = items.filter((it) => it.model === model && it.usd === null && it.ts <= last.ts);
      if (mine.length === 0) continue;
      const ownWeight = mine.reduce((w, it) => w + allocationWeight(it.tokens), 0);
      let copiedWeight = 0;
      for (const c of s.copied.values()) if (c.model === model && c.ts <= last.ts) copiedWeight += allocationWeight(c.tokens);
      const share = ownWeight + copiedWeight > 0 ? (m.costUSD * ownWeight) / (ownWeight + copiedWeight) : 0;
      for (const it of mine) {
        it.usd = ownWeight > 0 ? (share * allocationWeight(it.tokens)) / ownWeight : 0;
        it.provenance = 'client-reported';
        it.priceSource = 'client';
      }
    }
  }

  const tokens = zeroTokens();
  const auxiliaryTokens = zeroTokens();
  const cost: CostFigures = { api: 0, computed: 0, clientReported: 0, estimated: 0, auxiliary: 0, lowerBound: false };
  const byModel = new Map<string, ModelLine>();
  const unpricedModels = new Set<string>();
  let unpricedTokens = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (!it) continue;
    let line = byModel.get(it.model);
    if (!line) {
      line = { model: it.model, tokens: zeroTokens(), auxiliaryTokens: zeroTokens(), requests: 0, usd: null, provenance: 'unpriced', rollupProvenance: 'unpriced' };
      byModel.set(it.model, line);
    }
    if (it.kind === 'request') {
      addTokens(tokens, it.tokens);
      addTokens(line.tokens, it.tokens);
      line.requests++;
    } else {
      addTokens(auxiliaryTokens, it.tokens);
      addTokens(line.auxiliaryTokens, it.tokens);
    }
    if (it.usd === null) {
      cost.lowerBound = true;
      unpricedModels.add(it.model);
      unpricedTokens += totalTokens(it.tokens);
      continue;
    }
    line.usd = (line.usd ?? 0) + it.usd;
    if (line.provenance === 'unpriced' || it.provenance === 'client-reported') line.provenance = it.provenance;
    if (line.rollupProvenance === 'unpriced') line.rollupProvenance = it.provenance;
    else if (line.rollupProvenance !== it.provenance) line.rollupProvenance = 'mixed';
    line.priceSource = it.priceSource;
    cost.api += it.usd;
    if (it.provenance === 'client-reported') cost.clientReported += it.usd;
    else if (it.provenance === 'estimated') cost.estimated += it.usd;
    else cost.computed += it.usd;
    if (it.kind === 'auxiliary') cost.auxiliary += it.usd;
  }

  const time = timeFigures(s.timeline(), idleMs);
  return {
    key: s.key,
    agent: s.agent,
    id: s.id,
    project: s.project,
    gitBranch: s.gitBranch,
    start: s.firstTs,
    end: s.lastTs,
    models: [...byModel.keys()].sort(),
    tokens,
    auxiliaryTokens,
    requests: s.requestCount,
    cost,
    time,
    unpriced: { tokens: unpricedTokens, models: [...unpricedModels].sort() },
    byModel: [...byModel.values()].sort((a, b) => (b.usd ?? 0) - (a.usd ?? 0) || a.model.localeCompare(b.model)),
    items,
    prompts: s.prompts.length,
    compactions: [...s.compactions],
    startedWithClear: s.startedWithClear,
    clientTotalUSD: last?.totalCostUSD,
  };
}

export { tokenKinds };
